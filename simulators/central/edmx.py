"""The OData service document and ``$metadata`` (EDMX) of a form, byte for byte as central-backend renders its
mustache template in ``lib/formats/odata.js`` (``serviceDocumentFor``, ``edmxFor``)."""

from __future__ import annotations

from html import escape
from typing import Any

from .render import GROUP, REPEAT, Schema
from .xform import sanitize_odata_identifier

_TYPE_MAP = {
    "int": "Edm.Int64",
    "decimal": "Edm.Decimal",
    "boolean": "Edm.Boolean",
    "geopoint": "Edm.GeographyPoint",
    "geotrace": "Edm.GeographyLineString",
    "geoshape": "Edm.GeographyPolygon",
    "date": "Edm.Date",
    "dateTime": "Edm.DateTimeOffset",
}


def _esc(text: str) -> str:
    # mustache.js escapes & < > " ' / ` = in {{ }}
    return (
        escape(text, quote=True)
        .replace("&#x27;", "&#39;")
        .replace("/", "&#x2F;")
        .replace("`", "&#x60;")
        .replace("=", "&#x3D;")
    )


def service_document(schema: Schema, domain: str, service_path: str) -> dict[str, Any]:
    """``GET .../forms/{id}.svc``: the Submissions entity set and one per repeat."""
    value: list[dict[str, str]] = [{"name": "Submissions", "kind": "EntitySet", "url": "Submissions"}]
    for field in schema.fields:
        if field.type == "repeat":
            table = "Submissions." + ".".join(sanitize_odata_identifier(p) for p in field.path[1:].split("/"))
            value.append({"name": table, "kind": "EntitySet", "url": table})
    return {"@odata.context": f"{domain}{service_path}/$metadata", "value": value}


_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">
  <edmx:DataServices>
    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="org.opendatakit.submission">
      <ComplexType Name="metadata">
        <Property Name="submissionDate" Type="Edm.DateTimeOffset"/>
        <Property Name="updatedAt" Type="Edm.DateTimeOffset"/>
        <Property Name="deletedAt" Type="Edm.DateTimeOffset"/>
        <Property Name="submitterId" Type="Edm.String"/>
        <Property Name="submitterName" Type="Edm.String"/>
        <Property Name="attachmentsPresent" Type="Edm.Int64"/>
        <Property Name="attachmentsExpected" Type="Edm.Int64"/>
        <Property Name="status" Type="org.opendatakit.submission.Status"/>
        <Property Name="reviewState" Type="org.opendatakit.submission.ReviewState"/>
        <Property Name="deviceId" Type="Edm.String"/>
        <Property Name="edits" Type="Edm.Int64"/>
        <Property Name="formVersion" Type="Edm.String"/>
      </ComplexType>
      <EnumType Name="Status">
        <Member Name="notDecrypted"/>
        <Member Name="missingEncryptedFormData"/>
      </EnumType>
      <EnumType Name="ReviewState">
        <Member Name="hasIssues"/>
        <Member Name="edited"/>
        <Member Name="rejected"/>
        <Member Name="approved"/>
      </EnumType>
    </Schema>
"""

PRIMARY_ANNOTATIONS_HEAD = """          <Annotation Term="Org.OData.Capabilities.V1.ConformanceLevel" EnumMember="Org.OData.Capabilities.V1.ConformanceLevelType/Minimal"/>
          <Annotation Term="Org.OData.Capabilities.V1.BatchSupported" Bool="false"/>
          <Annotation Term="Org.OData.Capabilities.V1.CountRestrictions">
            <Record><PropertyValue Property="Countable" Bool="true"/></Record>
          </Annotation>
          <Annotation Term="Org.OData.Capabilities.V1.FilterFunctions">
            <Record>
              <PropertyValue Property="NonCountableProperties">
                <Collection>
                  <String>eq</String>
                </Collection>
              </PropertyValue>
            </Record>
          </Annotation>
          <Annotation Term="Org.OData.Capabilities.V1.FilterFunctions">
            <Record>
              <PropertyValue Property="Filterable" Bool="true"/>
              <PropertyValue Property="RequiresFilter" Bool="false"/>
              <PropertyValue Property="NonFilterableProperties">
                <Collection>
"""

PRIMARY_ANNOTATIONS_TAIL = """                </Collection>
              </PropertyValue>
            </Record>
          </Annotation>
          <Annotation Term="Org.OData.Capabilities.V1.SortRestrictions">
            <Record><PropertyValue Property="Sortable" Bool="false"/></Record>
          </Annotation>
          <Annotation Term="Org.OData.Capabilities.V1.ExpandRestrictions">
            <Record><PropertyValue Property="Expandable" Bool="false"/></Record>
          </Annotation>
"""


class _Bag:
    def __init__(self, name: str, spath: str | None, primary: bool = False, repeat: bool = False) -> None:
        self.name = name
        self.spath = spath
        self.primary = primary
        self.repeat = repeat
        self.properties: list[tuple[str, str, bool]] = []  # (name, type, navigation)


def metadata_xml(xml_form_id: str, schema: Schema) -> str:
    """``GET .../forms/{id}.svc/$metadata``."""
    fqdn = f"org.opendatakit.user.{sanitize_odata_identifier(xml_form_id)}"
    submissions = _Bag("Submissions", None, primary=True)
    entity_types = [submissions]
    complex_types: list[_Bag] = []
    stack = [submissions]
    for field in schema.fields:
        node = schema.by_spath.get(
            "/" + "/".join(sanitize_odata_identifier(p) for p in field.path[1:].split("/"))
        )
        out = stack[-1]
        # pop back to the bag whose (raw) path contains this field, as edmxFor does with field.path
        while out.spath is not None and not field.path.startswith(out.spath + "/"):
            stack.pop()
            out = stack[-1]
        name = sanitize_odata_identifier(field.name)
        if node is not None and node.kind in (GROUP, REPEAT):
            type_name = ".".join(sanitize_odata_identifier(p) for p in field.path[1:].split("/"))
            if node.kind == GROUP:
                bag = _Bag(type_name, field.path)
                complex_types.append(bag)
                stack.append(bag)
                out.properties.append((name, f"{fqdn}.{type_name}", False))
            else:
                context = next((b for b in reversed(stack) if b.repeat), None)
                id_parts = ["Submissions"]
                if context is not None:
                    id_parts += [sanitize_odata_identifier(p) for p in context.spath[1:].split("/")]  # type: ignore[index]
                bag = _Bag(f"Submissions.{type_name}", field.path, repeat=True)
                bag.properties.append((f"__{'-'.join(id_parts)}-id", "Edm.String", False))
                entity_types.append(bag)
                stack.append(bag)
                out.properties.append((name, f"Collection({fqdn}.Submissions.{type_name})", True))
        else:
            out.properties.append((name, _TYPE_MAP.get(field.type, "Edm.String"), False))

    def props(bag: _Bag) -> str:
        lines = []
        for pname, ptype, nav in bag.properties:
            tag = "NavigationProperty" if nav else "Property"
            lines.append(f'        <{tag} Name="{_esc(pname)}" Type="{_esc(ptype)}"/>\n')
        return "".join(lines)

    parts = [
        _HEADER,
        f'    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="{_esc(fqdn)}">\n',
    ]
    for bag in entity_types:
        parts.append(f'      <EntityType Name="{_esc(bag.name)}">\n')
        parts.append('        <Key><PropertyRef Name="__id"/></Key>\n')
        parts.append('        <Property Name="__id" Type="Edm.String"/>\n')
        if bag.primary:
            parts.append('        <Property Name="__system" Type="org.opendatakit.submission.metadata"/>\n')
        parts.append(props(bag))
        parts.append("      </EntityType>\n")
    for bag in complex_types:
        parts.append(f'      <ComplexType Name="{_esc(bag.name)}">\n')
        parts.append(props(bag))
        parts.append("      </ComplexType>\n")
    parts.append(f'      <EntityContainer Name="{_esc(xml_form_id)}">\n')
    for bag in entity_types:
        parts.append(
            f'        <EntitySet Name="{_esc(bag.name)}" EntityType="{_esc(fqdn)}.{_esc(bag.name)}">\n'
        )
        if bag.primary:
            parts.append(PRIMARY_ANNOTATIONS_HEAD)
            parts.extend(
                f"                  <PropertyPath>{_esc(p[0])}</PropertyPath>\n" for p in bag.properties
            )
            parts.append(PRIMARY_ANNOTATIONS_TAIL)
        parts.append("        </EntitySet>\n")
    parts.append("      </EntityContainer>\n    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>")
    return "".join(parts)
