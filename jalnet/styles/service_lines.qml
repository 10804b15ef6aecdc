<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis labelsEnabled="0" symbologyReferenceScale="-1" simplifyAlgorithm="0" simplifyDrawingTol="1" styleCategories="AllStyleCategories" maxScale="0" hasScaleBasedVisibilityFlag="0" minScale="100000000" simplifyLocal="1" readOnly="0" version="3.22.16-Białowieża" simplifyMaxScale="1" simplifyDrawingHints="1">
  <flags>
    <Identifiable>1</Identifiable>
    <Removable>1</Removable>
    <Searchable>1</Searchable>
    <Private>0</Private>
  </flags>
  <temporal enabled="0" startField="" startExpression="" endExpression="" fixedDuration="0" accumulate="0" mode="0" limitMode="0" endField="" durationField="" durationUnit="min">
    <fixedRange>
      <start></start>
      <end></end>
    </fixedRange>
  </temporal>
  <renderer-v2 enableorderby="0" symbollevels="0" forceraster="0" type="singleSymbol" referencescale="-1">
    <symbols>
      <symbol name="0" clip_to_extent="1" alpha="1" type="line" force_rhr="0">
        <data_defined_properties>
          <Option type="Map">
            <Option name="name" type="QString" value=""/>
            <Option name="properties"/>
            <Option name="type" type="QString" value="collection"/>
          </Option>
        </data_defined_properties>
        <layer class="SimpleLine" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="align_dash_pattern" type="QString" value="0"/>
            <Option name="capstyle" type="QString" value="square"/>
            <Option name="customdash" type="QString" value="5;2"/>
            <Option name="customdash_map_unit_scale" type="QString" value="3x:0,0,0,0,0,0"/>
            <Option name="customdash_unit" type="QString" value="MM"/>
            <Option name="dash_pattern_offset" type="QString" value="0"/>
            <Option name="dash_pattern_offset_map_unit_scale" type="QString" value="3x:0,0,0,0,0,0"/>
            <Option name="dash_pattern_offset_unit" type="QString" value="MM"/>
            <Option name="draw_inside_polygon" type="QString" value="0"/>
            <Option name="joinstyle" type="QString" value="bevel"/>
            <Option name="line_color" type="QString" value="84,110,122,255"/>
            <Option name="line_style" type="QString" value="solid"/>
            <Option name="line_width" type="QString" value="0.6"/>
            <Option name="line_width_unit" type="QString" value="MM"/>
            <Option name="offset" type="QString" value="0"/>
            <Option name="offset_map_unit_scale" type="QString" value="3x:0,0,0,0,0,0"/>
            <Option name="offset_unit" type="QString" value="MM"/>
            <Option name="ring_filter" type="QString" value="0"/>
            <Option name="trim_distance_end" type="QString" value="0"/>
            <Option name="trim_distance_end_map_unit_scale" type="QString" value="3x:0,0,0,0,0,0"/>
            <Option name="trim_distance_end_unit" type="QString" value="MM"/>
            <Option name="trim_distance_start" type="QString" value="0"/>
            <Option name="trim_distance_start_map_unit_scale" type="QString" value="3x:0,0,0,0,0,0"/>
            <Option name="trim_distance_start_unit" type="QString" value="MM"/>
            <Option name="tweak_dash_pattern_on_corners" type="QString" value="0"/>
            <Option name="use_custom_dash" type="QString" value="0"/>
            <Option name="width_map_unit_scale" type="QString" value="3x:0,0,0,0,0,0"/>
          </Option>
          <prop v="0" k="align_dash_pattern"/>
          <prop v="square" k="capstyle"/>
          <prop v="5;2" k="customdash"/>
          <prop v="3x:0,0,0,0,0,0" k="customdash_map_unit_scale"/>
          <prop v="MM" k="customdash_unit"/>
          <prop v="0" k="dash_pattern_offset"/>
          <prop v="3x:0,0,0,0,0,0" k="dash_pattern_offset_map_unit_scale"/>
          <prop v="MM" k="dash_pattern_offset_unit"/>
          <prop v="0" k="draw_inside_polygon"/>
          <prop v="bevel" k="joinstyle"/>
          <prop v="84,110,122,255" k="line_color"/>
          <prop v="solid" k="line_style"/>
          <prop v="0.6" k="line_width"/>
          <prop v="MM" k="line_width_unit"/>
          <prop v="0" k="offset"/>
          <prop v="3x:0,0,0,0,0,0" k="offset_map_unit_scale"/>
          <prop v="MM" k="offset_unit"/>
          <prop v="0" k="ring_filter"/>
          <prop v="0" k="trim_distance_end"/>
          <prop v="3x:0,0,0,0,0,0" k="trim_distance_end_map_unit_scale"/>
          <prop v="MM" k="trim_distance_end_unit"/>
          <prop v="0" k="trim_distance_start"/>
          <prop v="3x:0,0,0,0,0,0" k="trim_distance_start_map_unit_scale"/>
          <prop v="MM" k="trim_distance_start_unit"/>
          <prop v="0" k="tweak_dash_pattern_on_corners"/>
          <prop v="0" k="use_custom_dash"/>
          <prop v="3x:0,0,0,0,0,0" k="width_map_unit_scale"/>
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
  <legend type="default-vector" showLabelLegend="0"/>
  <referencedLayers/>
  <fieldConfiguration>
    <field name="fid" configurationFlags="None">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field name="service_line_id" configurationFlags="None">
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
    <field name="fhtc_id" configurationFlags="None">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field name="pipe_id" configurationFlags="None">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field name="length_m" configurationFlags="None">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field name="diameter_mm" configurationFlags="None">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field name="material" configurationFlags="None">
      <editWidget type="ValueMap">
        <config>
          <Option type="Map">
            <Option name="map" type="List">
              <Option type="Map">
                <Option name="(not recorded)" type="QString" value="{2839923C-8B7D-419E-B84B-CA2FE9B80EC7}"/>
              </Option>
              <Option type="Map">
                <Option name="DI – Ductile iron" type="QString" value="DI"/>
              </Option>
              <Option type="Map">
                <Option name="CI – Cast iron" type="QString" value="CI"/>
              </Option>
              <Option type="Map">
                <Option name="GI – Galvanised iron" type="QString" value="GI"/>
              </Option>
              <Option type="Map">
                <Option name="MS – Mild steel" type="QString" value="MS"/>
              </Option>
              <Option type="Map">
                <Option name="PVC" type="QString" value="PVC"/>
              </Option>
              <Option type="Map">
                <Option name="UPVC – Unplasticised PVC (uPVC)" type="QString" value="UPVC"/>
              </Option>
              <Option type="Map">
                <Option name="HDPE – High-density polyethylene" type="QString" value="HDPE"/>
              </Option>
              <Option type="Map">
                <Option name="MDPE – Medium-density polyethylene" type="QString" value="MDPE"/>
              </Option>
              <Option type="Map">
                <Option name="AC – Asbestos cement" type="QString" value="AC"/>
              </Option>
              <Option type="Map">
                <Option name="PSC – Prestressed concrete" type="QString" value="PSC"/>
              </Option>
            </Option>
          </Option>
        </config>
      </editWidget>
    </field>
  </fieldConfiguration>
  <aliases>
    <alias name="" field="fid" index="0"/>
    <alias name="Service line ID" field="service_line_id" index="1"/>
    <alias name="Scheme the asset belongs to" field="scheme_id" index="2"/>
    <alias name="Tap connection the line serves" field="fhtc_id" index="3"/>
    <alias name="Distribution pipe the line is taken from" field="pipe_id" index="4"/>
    <alias name="Length (m)" field="length_m" index="5"/>
    <alias name="Nominal diameter (mm)" field="diameter_mm" index="6"/>
    <alias name="Pipe material" field="material" index="7"/>
  </aliases>
  <defaults>
    <default expression="" field="fid" applyOnUpdate="0"/>
    <default expression="" field="service_line_id" applyOnUpdate="0"/>
    <default expression="" field="scheme_id" applyOnUpdate="0"/>
    <default expression="" field="fhtc_id" applyOnUpdate="0"/>
    <default expression="" field="pipe_id" applyOnUpdate="0"/>
    <default expression="" field="length_m" applyOnUpdate="0"/>
    <default expression="" field="diameter_mm" applyOnUpdate="0"/>
    <default expression="" field="material" applyOnUpdate="0"/>
  </defaults>
  <constraints>
    <constraint unique_strength="0" field="fid" notnull_strength="0" exp_strength="0" constraints="0"/>
    <constraint unique_strength="1" field="service_line_id" notnull_strength="1" exp_strength="0" constraints="3"/>
    <constraint unique_strength="0" field="scheme_id" notnull_strength="0" exp_strength="0" constraints="0"/>
    <constraint unique_strength="0" field="fhtc_id" notnull_strength="0" exp_strength="0" constraints="0"/>
    <constraint unique_strength="0" field="pipe_id" notnull_strength="0" exp_strength="0" constraints="0"/>
    <constraint unique_strength="0" field="length_m" notnull_strength="0" exp_strength="1" constraints="4"/>
    <constraint unique_strength="0" field="diameter_mm" notnull_strength="0" exp_strength="1" constraints="4"/>
    <constraint unique_strength="0" field="material" notnull_strength="0" exp_strength="0" constraints="0"/>
  </constraints>
  <constraintExpressions>
    <constraint desc="" field="fid" exp=""/>
    <constraint desc="" field="service_line_id" exp=""/>
    <constraint desc="" field="scheme_id" exp=""/>
    <constraint desc="" field="fhtc_id" exp=""/>
    <constraint desc="" field="pipe_id" exp=""/>
    <constraint desc="Length (m) must be at least 0" field="length_m" exp="&quot;length_m&quot; IS NULL OR (&quot;length_m&quot; >= 0)"/>
    <constraint desc="Nominal diameter (mm) must be at least 5 and at most 200" field="diameter_mm" exp="&quot;diameter_mm&quot; IS NULL OR (&quot;diameter_mm&quot; >= 5 AND &quot;diameter_mm&quot; &lt;= 200)"/>
    <constraint desc="" field="material" exp=""/>
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
    <field name="fid" editable="0"/>
  </editable>
  <labelOnTop/>
  <reuseLastValue/>
  <dataDefinedFieldProperties/>
  <widgets/>
  <previewExpression>"service_line_id"</previewExpression>
  <mapTip></mapTip>
  <layerGeometryType>1</layerGeometryType>
</qgis>
