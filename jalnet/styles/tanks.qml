<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis styleCategories="AllStyleCategories" labelsEnabled="0" readOnly="0" simplifyMaxScale="1" simplifyAlgorithm="0" simplifyLocal="1" hasScaleBasedVisibilityFlag="0" minScale="100000000" simplifyDrawingHints="1" simplifyDrawingTol="1" version="3.22.16-Białowieża" maxScale="0" symbologyReferenceScale="-1">
  <flags>
    <Identifiable>1</Identifiable>
    <Removable>1</Removable>
    <Searchable>1</Searchable>
    <Private>0</Private>
  </flags>
  <temporal startExpression="" endExpression="" fixedDuration="0" accumulate="0" enabled="0" limitMode="0" startField="" durationField="" endField="" durationUnit="min" mode="0">
    <fixedRange>
      <start></start>
      <end></end>
    </fixedRange>
  </temporal>
  <renderer-v2 symbollevels="0" forceraster="0" enableorderby="0" type="singleSymbol" referencescale="-1">
    <symbols>
      <symbol clip_to_extent="1" force_rhr="0" name="0" type="marker" alpha="1">
        <data_defined_properties>
          <Option type="Map">
            <Option name="name" type="QString" value=""/>
            <Option name="properties"/>
            <Option name="type" type="QString" value="collection"/>
          </Option>
        </data_defined_properties>
        <layer locked="0" class="SimpleMarker" enabled="1" pass="0">
          <Option type="Map">
            <Option name="angle" type="QString" value="0"/>
            <Option name="cap_style" type="QString" value="square"/>
            <Option name="color" type="QString" value="38,166,154,255"/>
            <Option name="horizontal_anchor_point" type="QString" value="1"/>
            <Option name="joinstyle" type="QString" value="bevel"/>
            <Option name="name" type="QString" value="square"/>
            <Option name="offset" type="QString" value="0,0"/>
            <Option name="offset_map_unit_scale" type="QString" value="3x:0,0,0,0,0,0"/>
            <Option name="offset_unit" type="QString" value="MM"/>
            <Option name="outline_color" type="QString" value="0,77,64,255"/>
            <Option name="outline_style" type="QString" value="solid"/>
            <Option name="outline_width" type="QString" value="0.45"/>
            <Option name="outline_width_map_unit_scale" type="QString" value="3x:0,0,0,0,0,0"/>
            <Option name="outline_width_unit" type="QString" value="MM"/>
            <Option name="scale_method" type="QString" value="diameter"/>
            <Option name="size" type="QString" value="4.2"/>
            <Option name="size_map_unit_scale" type="QString" value="3x:0,0,0,0,0,0"/>
            <Option name="size_unit" type="QString" value="MM"/>
            <Option name="vertical_anchor_point" type="QString" value="1"/>
          </Option>
          <prop k="angle" v="0"/>
          <prop k="cap_style" v="square"/>
          <prop k="color" v="38,166,154,255"/>
          <prop k="horizontal_anchor_point" v="1"/>
          <prop k="joinstyle" v="bevel"/>
          <prop k="name" v="square"/>
          <prop k="offset" v="0,0"/>
          <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0"/>
          <prop k="offset_unit" v="MM"/>
          <prop k="outline_color" v="0,77,64,255"/>
          <prop k="outline_style" v="solid"/>
          <prop k="outline_width" v="0.45"/>
          <prop k="outline_width_map_unit_scale" v="3x:0,0,0,0,0,0"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="scale_method" v="diameter"/>
          <prop k="size" v="4.2"/>
          <prop k="size_map_unit_scale" v="3x:0,0,0,0,0,0"/>
          <prop k="size_unit" v="MM"/>
          <prop k="vertical_anchor_point" v="1"/>
          <data_defined_properties>
            <Option type="Map">
              <Option name="name" type="QString" value=""/>
              <Option name="properties"/>
              <Option name="type" type="QString" value="collection"/>
            </Option>
          </data_defined_properties>
        </layer>
        <layer locked="0" class="SimpleMarker" enabled="1" pass="0">
          <Option type="Map">
            <Option name="angle" type="QString" value="90"/>
            <Option name="cap_style" type="QString" value="square"/>
            <Option name="color" type="QString" value="255,0,0,255"/>
            <Option name="horizontal_anchor_point" type="QString" value="1"/>
            <Option name="joinstyle" type="QString" value="bevel"/>
            <Option name="name" type="QString" value="line"/>
            <Option name="offset" type="QString" value="0,0"/>
            <Option name="offset_map_unit_scale" type="QString" value="3x:0,0,0,0,0,0"/>
            <Option name="offset_unit" type="QString" value="MM"/>
            <Option name="outline_color" type="QString" value="255,255,255,255"/>
            <Option name="outline_style" type="QString" value="solid"/>
            <Option name="outline_width" type="QString" value="0.5"/>
            <Option name="outline_width_map_unit_scale" type="QString" value="3x:0,0,0,0,0,0"/>
            <Option name="outline_width_unit" type="QString" value="MM"/>
            <Option name="scale_method" type="QString" value="diameter"/>
            <Option name="size" type="QString" value="3"/>
            <Option name="size_map_unit_scale" type="QString" value="3x:0,0,0,0,0,0"/>
            <Option name="size_unit" type="QString" value="MM"/>
            <Option name="vertical_anchor_point" type="QString" value="1"/>
          </Option>
          <prop k="angle" v="90"/>
          <prop k="cap_style" v="square"/>
          <prop k="color" v="255,0,0,255"/>
          <prop k="horizontal_anchor_point" v="1"/>
          <prop k="joinstyle" v="bevel"/>
          <prop k="name" v="line"/>
          <prop k="offset" v="0,0"/>
          <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0"/>
          <prop k="offset_unit" v="MM"/>
          <prop k="outline_color" v="255,255,255,255"/>
          <prop k="outline_style" v="solid"/>
          <prop k="outline_width" v="0.5"/>
          <prop k="outline_width_map_unit_scale" v="3x:0,0,0,0,0,0"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="scale_method" v="diameter"/>
          <prop k="size" v="3"/>
          <prop k="size_map_unit_scale" v="3x:0,0,0,0,0,0"/>
          <prop k="size_unit" v="MM"/>
          <prop k="vertical_anchor_point" v="1"/>
          <data_defined_properties>
            <Option type="Map">
              <Option name="name" type="QString" value=""/>
              <Option name="properties"/>
              <Option name="type" type="QString" value="collection"/>
            </Option>
          </data_defined_properties>
        </layer>
      </symbol>
    </symbols>
    <rotation/>
    <sizescale/>
  </renderer-v2>
  <customproperties>
    <Option/>
  </customproperties>
  <blendMode>0</blendMode>
  <featureBlendMode>0</featureBlendMode>
  <layerOpacity>1</layerOpacity>
  <geometryOptions removeDuplicateNodes="0" geometryPrecision="0">
    <activeChecks type="StringList">
      <Option type="QString" value=""/>
    </activeChecks>
    <checkConfiguration/>
  </geometryOptions>
  <legend showLabelLegend="0" type="default-vector"/>
  <referencedLayers/>
  <fieldConfiguration>
    <field name="fid" configurationFlags="None">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field name="tank_id" configurationFlags="None">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field name="scheme_id" configurationFlags="None">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field name="name" configurationFlags="None">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field name="tank_type" configurationFlags="None">
      <editWidget type="ValueMap">
        <config>
          <Option type="Map">
            <Option name="map" type="List">
              <Option type="Map">
                <Option name="OHT – Overhead tank / elevated service reservoir" type="QString" value="OHT"/>
              </Option>
              <Option type="Map">
                <Option name="GSR – Ground service reservoir" type="QString" value="GSR"/>
              </Option>
              <Option type="Map">
                <Option name="SUMP – Sump / clear-water reservoir" type="QString" value="SUMP"/>
              </Option>
              <Option type="Map">
                <Option name="MBR – Master balancing reservoir" type="QString" value="MBR"/>
              </Option>
            </Option>
          </Option>
        </config>
      </editWidget>
    </field>
    <field name="capacity_kl" configurationFlags="None">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field name="ground_elev_m" configurationFlags="None">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field name="staging_m" configurationFlags="None">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field name="min_level_m" configurationFlags="None">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field name="max_level_m" configurationFlags="None">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field name="init_level_m" configurationFlags="None">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field name="diameter_m" configurationFlags="None">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field name="status" configurationFlags="None">
      <editWidget type="ValueMap">
        <config>
          <Option type="Map">
            <Option name="map" type="List">
              <Option type="Map">
                <Option name="(not recorded)" type="QString" value="{2839923C-8B7D-419E-B84B-CA2FE9B80EC7}"/>
              </Option>
              <Option type="Map">
                <Option name="Planned" type="QString" value="planned"/>
              </Option>
              <Option type="Map">
                <Option name="Under construction" type="QString" value="under_construction"/>
              </Option>
              <Option type="Map">
                <Option name="In service" type="QString" value="in_service"/>
              </Option>
              <Option type="Map">
                <Option name="Non-functional / out of service" type="QString" value="non_functional"/>
              </Option>
              <Option type="Map">
                <Option name="Abandoned" type="QString" value="abandoned"/>
              </Option>
            </Option>
          </Option>
        </config>
      </editWidget>
    </field>
  </fieldConfiguration>
  <aliases>
    <alias name="" index="0" field="fid"/>
    <alias name="Tank ID" index="1" field="tank_id"/>
    <alias name="Scheme the asset belongs to" index="2" field="scheme_id"/>
    <alias name="Tank name" index="3" field="name"/>
    <alias name="Kind of tank" index="4" field="tank_type"/>
    <alias name="Capacity (kilolitres)" index="5" field="capacity_kl"/>
    <alias name="Ground elevation (m above MSL)" index="6" field="ground_elev_m"/>
    <alias name="Staging height" index="7" field="staging_m"/>
    <alias name="Minimum water level above the tank floor (m)" index="8" field="min_level_m"/>
    <alias name="Maximum (full supply) level above the tank floor (m)" index="9" field="max_level_m"/>
    <alias name="Initial level above the tank floor for simulation (m)" index="10" field="init_level_m"/>
    <alias name="Equivalent diameter (m)" index="11" field="diameter_m"/>
    <alias name="Operational status" index="12" field="status"/>
  </aliases>
  <defaults>
    <default applyOnUpdate="0" expression="" field="fid"/>
    <default applyOnUpdate="0" expression="" field="tank_id"/>
    <default applyOnUpdate="0" expression="" field="scheme_id"/>
    <default applyOnUpdate="0" expression="" field="name"/>
    <default applyOnUpdate="0" expression="" field="tank_type"/>
    <default applyOnUpdate="0" expression="" field="capacity_kl"/>
    <default applyOnUpdate="0" expression="" field="ground_elev_m"/>
    <default applyOnUpdate="0" expression="" field="staging_m"/>
    <default applyOnUpdate="0" expression="" field="min_level_m"/>
    <default applyOnUpdate="0" expression="" field="max_level_m"/>
    <default applyOnUpdate="0" expression="" field="init_level_m"/>
    <default applyOnUpdate="0" expression="" field="diameter_m"/>
    <default applyOnUpdate="0" expression="" field="status"/>
  </defaults>
  <constraints>
    <constraint exp_strength="0" unique_strength="0" notnull_strength="0" constraints="0" field="fid"/>
    <constraint exp_strength="0" unique_strength="1" notnull_strength="1" constraints="3" field="tank_id"/>
    <constraint exp_strength="0" unique_strength="0" notnull_strength="0" constraints="0" field="scheme_id"/>
    <constraint exp_strength="0" unique_strength="0" notnull_strength="0" constraints="0" field="name"/>
    <constraint exp_strength="0" unique_strength="0" notnull_strength="1" constraints="1" field="tank_type"/>
    <constraint exp_strength="1" unique_strength="0" notnull_strength="0" constraints="4" field="capacity_kl"/>
    <constraint exp_strength="1" unique_strength="0" notnull_strength="0" constraints="4" field="ground_elev_m"/>
    <constraint exp_strength="1" unique_strength="0" notnull_strength="0" constraints="4" field="staging_m"/>
    <constraint exp_strength="1" unique_strength="0" notnull_strength="0" constraints="4" field="min_level_m"/>
    <constraint exp_strength="1" unique_strength="0" notnull_strength="0" constraints="4" field="max_level_m"/>
    <constraint exp_strength="1" unique_strength="0" notnull_strength="0" constraints="4" field="init_level_m"/>
    <constraint exp_strength="1" unique_strength="0" notnull_strength="0" constraints="4" field="diameter_m"/>
    <constraint exp_strength="0" unique_strength="0" notnull_strength="0" constraints="0" field="status"/>
  </constraints>
  <constraintExpressions>
    <constraint desc="" exp="" field="fid"/>
    <constraint desc="" exp="" field="tank_id"/>
    <constraint desc="" exp="" field="scheme_id"/>
    <constraint desc="" exp="" field="name"/>
    <constraint desc="" exp="" field="tank_type"/>
    <constraint desc="Capacity (kilolitres) must be at least 0" exp="&quot;capacity_kl&quot; IS NULL OR (&quot;capacity_kl&quot; >= 0)" field="capacity_kl"/>
    <constraint desc="Ground elevation (m above MSL) must be at least -100 and at most 9000" exp="&quot;ground_elev_m&quot; IS NULL OR (&quot;ground_elev_m&quot; >= -100 AND &quot;ground_elev_m&quot; &lt;= 9000)" field="ground_elev_m"/>
    <constraint desc="Staging height must be at least 0 and at most 60" exp="&quot;staging_m&quot; IS NULL OR (&quot;staging_m&quot; >= 0 AND &quot;staging_m&quot; &lt;= 60)" field="staging_m"/>
    <constraint desc="Minimum water level above the tank floor (m) must be at least 0" exp="&quot;min_level_m&quot; IS NULL OR (&quot;min_level_m&quot; >= 0)" field="min_level_m"/>
    <constraint desc="Maximum (full supply) level above the tank floor (m) must be at least 0" exp="&quot;max_level_m&quot; IS NULL OR (&quot;max_level_m&quot; >= 0)" field="max_level_m"/>
    <constraint desc="Initial level above the tank floor for simulation (m) must be at least 0" exp="&quot;init_level_m&quot; IS NULL OR (&quot;init_level_m&quot; >= 0)" field="init_level_m"/>
    <constraint desc="Equivalent diameter (m) must be at least 0" exp="&quot;diameter_m&quot; IS NULL OR (&quot;diameter_m&quot; >= 0)" field="diameter_m"/>
    <constraint desc="" exp="" field="status"/>
  </constraintExpressions>
  <expressionfields/>
  <attributeactions/>
  <attributetableconfig sortOrder="0" actionWidgetStyle="dropDown" sortExpression="">
    <columns/>
  </attributetableconfig>
  <conditionalstyles>
    <rowstyles/>
    <fieldstyles/>
  </conditionalstyles>
  <storedexpressions/>
  <editform tolerant="1"></editform>
  <editforminit/>
  <editforminitcodesource>0</editforminitcodesource>
  <editforminitfilepath></editforminitfilepath>
  <editforminitcode><![CDATA[]]></editforminitcode>
  <featformsuppress>0</featformsuppress>
  <editorlayout>generatedlayout</editorlayout>
  <editable>
    <field editable="0" name="fid"/>
  </editable>
  <labelOnTop/>
  <reuseLastValue/>
  <dataDefinedFieldProperties/>
  <widgets/>
  <previewExpression>"tank_id"</previewExpression>
  <mapTip></mapTip>
  <layerGeometryType>0</layerGeometryType>
</qgis>
