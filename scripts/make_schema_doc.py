"""Write docs/registry-schema.md from jalnet/registry/schema.py."""

from pathlib import Path

from jalnet.registry.schemadoc import schema_markdown

if __name__ == "__main__":
    out = Path(__file__).resolve().parents[1] / "docs" / "registry-schema.md"
    out.write_text(schema_markdown(), encoding="utf-8")
    print(f"wrote {out}")
