"""Build the Word templates of the accountability letter (``letter.zh.docx``, ``letter.en.docx``).

The templates are ordinary Word documents with Jinja2 tags, rendered by docxtpl; a justice bureau
edits them in Word (keep each tag in one run: type it in one go). This script writes the packaged
ones; ``tests/test_letter.py`` checks that the committed files are what it writes.

    python tools/make_letter_docx.py [OUT_DIR]
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "accountrules" / "output" / "letter" / "templates"

# GB/T 9704: title 小标宋 二号 (22 pt); body 仿宋 三号 (16 pt); level-1 headings 黑体, level-2 楷体
FONTS = {
    "zh": {"body": "仿宋_GB2312", "title": "方正小标宋简体", "h1": "黑体", "h2": "楷体_GB2312", "latin": "Times New Roman",
           "size": 16, "title_size": 22},
    "en": {"body": "Times New Roman", "title": "Times New Roman", "h1": "Times New Roman", "h2": "Times New Roman",
           "latin": "Times New Roman", "size": 12, "title_size": 16},
}

TEXT = {
    "zh": {
        "number": "案件编号：{{ L.case_id }}",
        "to": "{{ L.addressees | join('、') or '（主送机关）' }}：",
        "intro": "根据行政错案问责追责工作机制，我们对{{ L.agency }}行政错案进行了逐案倒查、逐人定责，现将有关情况和问责追责建议报告如下。",
        "h_case": "一、基本案情及纠错情况",
        "case": "{{ L.agency }}{% if L.conduct_date %}于{{ L.conduct_date }}{% endif %}作出{{ L.act_type }}。经{{ L.origin }}审查，该行政行为{% if L.decided_on %}于{{ L.decided_on }}{% endif %}被依法{{ L.outcome }}{% if L.grounds %}，纠错理由为{{ L.grounds | join('、') }}{% endif %}{% if L.effective %}，该决定已发生法律效力{% endif %}。经认定，本案{% if L.definition %}属于“{{ L.definition }}”情形，{% endif %}结论为：{{ L.status }}。",
        "basis_intro": "认定依据：",
        "basis": "{{ b.line }}{% if b.quote %}：“{{ b.quote }}”{% endif %}",
        "h_findings": "二、倒查认定的问题",
        "finding": "{{ loop.index }}. {{ f.item }}（{{ f.category }}）。倒查涉及人员：{{ f.persons or '未具体认定' }}。{% if f.also %}另认定承担责任的人员：{{ f.also }}。{% endif %}{% if f.note %}倒查说明：{{ f.note }}。{% endif %}",
        "h_resp": "三、责任分析",
        "cols": ["姓名", "岗位", "政治面貌", "过错程度", "责任类型", "问责档次"],
        "cells": ["{{ p.name }}", "{{ p.role }}", "{{ '中共党员' if p.party_member else '非中共党员' }}{{ '、领导干部' if p.leading_cadre else '' }}",
                  "{{ p.fault }}", "{{ p.responsibility }}", "{{ p.level }}"],
        "person_h": "（{{ cn(loop.index) }}）{{ p.name }}",
        "person": "{{ p.name }}，{{ p.role }}，{{ '中共党员' if p.party_member else '非中共党员' }}，{{ '领导干部' if p.leading_cadre else '非领导干部' }}；过错程度：{{ p.fault }}。{% for it in p.items %}对“{{ it.item }}”，{% if it.liable %}承担{{ it.responsibility }}，对应问责档次为{{ it.level }}{% else %}{{ it.responsibility }}{% endif %}。{% endfor %}综合认定{{ '承担' if p.liable }}{{ p.responsibility }}。{% if p.why_not %}理由：{{ p.why_not }}{% endif %}",
        "h_basis": "四、问责依据",
        "pbasis": "{{ b.line }}{% if b.supports %}〔{{ b.supports }}〕{% endif %}{% if b.quote %}：“{{ b.quote }}”{% endif %}",
        "h_handling": "五、处理建议",
        "h_persons": "（一）对责任人员的处理建议",
        "handling": "{{ loop.index }}. {{ p.name }}：{% if p.rank > 0 %}{% if p.referral %}建议{{ p.advice }}{% else %}建议由{{ p.body }}按照管理权限对其予以{{ p.level }}{% endif %}{% if p.band %}，{{ p.band }}{% endif %}{% if p.measures %}，{{ '具体措施为' if p.measures | length == 1 else '可根据情况采取' }}{{ p.measures_text }}{% endif %}{% if p.influence %}，{{ p.influence }}{% endif %}{% if p.exemption %}（具有“{{ p.exemption }}”情形，{{ p.exemption_kind }}）{% endif %}。{% elif p.exemption %}具有“{{ p.exemption }}”情形，建议{{ p.exemption_kind }}。{% else %}建议不予问责。{% endif %}",
        "h_unit": "（二）对责任单位的处理建议",
        "unit_intro": "建议对{{ L.agency }}采取以下措施：",
        "unit_cols": ["措施", "依据"],
        "unit_cells": ["{{ u.name }}", "{% for b in u.basis %}{{ b.line }}{% if not loop.last %}；{% endif %}{% endfor %}"],
        "h_circ": "六、从轻、从重、减轻及免责情形的考虑",
        "circ": "{{ p.name }}：{{ c.name }}{% if c.kind %}（{{ c.kind }}）{% endif %}——{% if c.applied %}予以适用{% if c.effect %}，{{ c.effect }}{% endif %}。{% else %}不予适用，理由：{{ c.why }}。{% endif %}",
        "no_circ": "经审查，未发现应予考虑的从轻、从重、减轻或者免责情形。",
        "h_review": "七、评审建议",
        "review": "建议将本案提交专家评审组进行{{ L.review_track }}。依据：{% for b in L.review_basis %}{{ b.line }}{% if not loop.last %}；{% endif %}{% endfor %}。",
        "body_basis": "{{ name }}的职责依据：{% for b in basis %}{{ b.line }}{% if not loop.last %}；{% endif %}{% endfor %}。",
        "close": "以上建议，请予审议。",
        "issuer": "{{ L.issuer or '（发文机关署名、印章）' }}",
        "date": "{{ L.date or '　　年　　月　　日' }}",
        "note": "本建议书依据规则库“{{ L.rulebook_title }}”（版本 {{ L.rulebook_version }}，校验码 {{ L.rulebook_sha }}）生成，系问责追责建议，不替代有权机关的决定，须经人工审核。",
    },
    "en": {
        "number": "Case number: {{ L.case_id }}",
        "to": "To: {{ L.addressees | join('; ') or '(addressee)' }}",
        "intro": "Following the accountability mechanism for administrative wrongful cases, the case of {{ L.agency }} has been reviewed backwards and responsibility determined person by person. Our findings and recommendations follow.",
        "h_case": "1. The case and how it was corrected",
        "case": "{{ L.agency }} made an administrative act ({{ L.act_type }}){% if L.conduct_date %} on {{ L.conduct_date }}{% endif %}. On review by {{ L.origin }}, the act was {{ L.outcome }}{% if L.decided_on %} on {{ L.decided_on }}{% endif %}{% if L.grounds %} on the grounds of {{ L.grounds | join(', ') }}{% endif %}{% if L.effective %}; the decision is legally effective{% endif %}. Conclusion: {{ L.status }}{% if L.definition %} ({{ L.definition }}){% endif %}.",
        "basis_intro": "Basis:",
        "basis": "{{ b.line }}{% if b.quote %}: “{{ b.quote }}”{% endif %}",
        "h_findings": "2. Findings of the backward review",
        "finding": "{{ loop.index }}. {{ f.item }} ({{ f.category }}). Persons identified by the review: {{ f.persons or 'not named' }}.{% if f.also %} Also held responsible: {{ f.also }}.{% endif %}{% if f.note %} Note: {{ f.note }}{% endif %}",
        "h_resp": "3. Responsibility along the chain",
        "cols": ["Name", "Role", "Party / cadre", "Fault", "Responsibility", "Level"],
        "cells": ["{{ p.name }}", "{{ p.role }}", "{{ 'party member' if p.party_member else 'non-party' }}{{ ', leading cadre' if p.leading_cadre else '' }}",
                  "{{ p.fault }}", "{{ p.responsibility }}", "{{ p.level }}"],
        "person_h": "3.{{ loop.index }} {{ p.name }}",
        "person": "{% for it in p.items %}For “{{ it.item }}”: {{ it.responsibility }}, level {{ it.level }}. {% endfor %}Overall: {{ p.responsibility }}.{% if p.why_not %} Reason: {{ p.why_not }}{% endif %}",
        "h_basis": "4. Legal basis",
        "pbasis": "{{ b.line }}{% if b.supports %} [{{ b.supports }}]{% endif %}{% if b.quote %}: “{{ b.quote }}”{% endif %}",
        "h_handling": "5. Recommended handling",
        "h_persons": "5.1 Persons",
        "handling": "{{ loop.index }}. {{ p.name }}: {% if p.rank > 0 %}{{ p.advice if p.referral else p.level }}{% if p.band %} ({{ p.band }}){% endif %}{% if p.measures %}, {{ 'measure' if p.measures | length == 1 else 'measures as the case requires' }}: {{ p.measures_text }}{% endif %}{% if p.influence %}, {{ p.influence }}{% endif %}{% if p.exemption %} ({{ p.exemption_kind }}: {{ p.exemption }}){% endif %}{% if not p.referral %}, to be decided by {{ p.body }}{% endif %}.{% elif p.exemption %}{{ p.exemption_kind }} ({{ p.exemption }}).{% else %}no accountability.{% endif %}",
        "h_unit": "5.2 The unit",
        "unit_intro": "We recommend these measures for {{ L.agency }}:",
        "unit_cols": ["Measure", "Basis"],
        "unit_cells": ["{{ u.name }}", "{% for b in u.basis %}{{ b.line }}{% if not loop.last %}; {% endif %}{% endfor %}"],
        "h_circ": "6. Circumstances and exemptions considered",
        "circ": "{{ p.name }}: {{ c.name }}{% if c.kind %} ({{ c.kind }}){% endif %} — {% if c.applied %}applied{% if c.effect %}, {{ c.effect }}{% endif %}.{% else %}not applied: {{ c.why }}.{% endif %}",
        "no_circ": "No mitigating, aggravating or exempting circumstance was found.",
        "h_review": "7. Review",
        "review": "We recommend {{ L.review_track }} by the expert panel. Basis: {% for b in L.review_basis %}{{ b.line }}{% if not loop.last %}; {% endif %}{% endfor %}.",
        "body_basis": "Competence of {{ name }}: {% for b in basis %}{{ b.line }}{% if not loop.last %}; {% endif %}{% endfor %}.",
        "close": "",
        "issuer": "{{ L.issuer or '(issuing body, seal)' }}",
        "date": "{{ L.date or '(date)' }}",
        "note": "Generated from the rulebook “{{ L.rulebook_title }}” (version {{ L.rulebook_version }}, checksum {{ L.rulebook_sha }}). A recommendation, not the decision of the competent body; to be reviewed by a person.",
    },
}


def _fonts(style_or_run, east: str, latin: str, size: float | None = None, bold: bool = False) -> None:
    font = style_or_run.font
    font.name = latin
    font.bold = bold
    font.color.rgb = RGBColor(0, 0, 0)
    if size:
        font.size = Pt(size)
    rpr = style_or_run.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    for attr in ("w:ascii", "w:hAnsi"):
        rfonts.set(qn(attr), latin)
    rfonts.set(qn("w:eastAsia"), east)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)


def build(lang: str) -> bytes:
    """The Word template for ``lang``, as bytes (zip entries with a fixed time stamp)."""
    f, t = FONTS[lang], TEXT[lang]
    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    _fonts(normal, f["body"], f["latin"], f["size"])
    normal.paragraph_format.line_spacing = Pt(28 if lang == "zh" else 18)
    normal.paragraph_format.space_after = Pt(0)
    _fonts(doc.styles["Title"], f["title"], f["latin"], f["title_size"])
    doc.styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(doc.styles["Heading 1"], f["h1"], f["latin"], f["size"], bold=lang == "en")
    _fonts(doc.styles["Heading 2"], f["h2"], f["latin"], f["size"], bold=lang == "en")
    indent = Pt(f["size"] * 2) if lang == "zh" else None

    def para(text: str, style: str | None = None, align: object = None, first: object = indent) -> None:
        p = doc.add_paragraph(style=style)
        p.add_run(text)
        if align is not None:
            p.alignment = align
        if first is not None and style is None:
            p.paragraph_format.first_line_indent = first

    def ctl(tag: str) -> None:  # a docxtpl paragraph-level tag: the paragraph itself disappears
        doc.add_paragraph().add_run(tag)

    def table(cols: list[str], cells: list[str], loop: str) -> None:
        tb = doc.add_table(rows=4, cols=len(cols))
        tb.style = "Table Grid"
        tb.alignment = WD_TABLE_ALIGNMENT.CENTER
        for i, c in enumerate(cols):
            tb.rows[0].cells[i].text = c
        tb.rows[1].cells[0].text = "{%tr " + loop + " %}"
        for i, c in enumerate(cells):
            tb.rows[2].cells[i].text = c
        tb.rows[3].cells[0].text = "{%tr endfor %}"
        for row in tb.rows:
            for cell in row.cells:
                for p in cell.paragraphs:
                    p.paragraph_format.line_spacing = Pt(18)
                    for r in p.runs:
                        r.font.size = Pt(12 if lang == "zh" else 10)

    doc.add_paragraph("{{ L.title }}", style="Title")
    para(t["number"], align=WD_ALIGN_PARAGRAPH.CENTER, first=None)
    para(t["to"], first=None)
    para(t["intro"])
    doc.add_heading(t["h_case"], level=1)
    para(t["case"])
    para(t["basis_intro"])
    ctl("{%p for b in L.definition_basis %}")
    para(t["basis"])
    ctl("{%p endfor %}")
    doc.add_heading(t["h_findings"], level=1)
    ctl("{%p for f in L.findings %}")
    para(t["finding"])
    ctl("{%p endfor %}")
    doc.add_heading(t["h_resp"], level=1)
    table(t["cols"], t["cells"], "for p in L.persons")
    ctl("{%p for p in L.persons %}")
    doc.add_heading(t["person_h"], level=2)
    para(t["person"])
    ctl("{%p endfor %}")
    doc.add_heading(t["h_basis"], level=1)
    ctl("{%p for p in L.persons %}")
    doc.add_heading(t["person_h"].replace("3.", "4."), level=2)
    ctl("{%p for b in p.basis %}")
    para(t["pbasis"])
    ctl("{%p endfor %}")
    ctl("{%p endfor %}")
    doc.add_heading(t["h_handling"], level=1)
    doc.add_heading(t["h_persons"], level=2)
    ctl("{%p for p in L.persons %}")
    para(t["handling"])
    ctl("{%p endfor %}")
    doc.add_heading(t["h_unit"], level=2)
    para(t["unit_intro"])
    table(t["unit_cols"], t["unit_cells"], "for u in L.units")
    doc.add_heading(t["h_circ"], level=1)
    ctl("{%p for p in L.persons %}")
    ctl("{%p for c in p.considered %}")
    para(t["circ"])
    ctl("{%p endfor %}")
    ctl("{%p endfor %}")
    ctl("{%p if not L.persons | selectattr('considered') | list %}")
    para(t["no_circ"])
    ctl("{%p endif %}")
    doc.add_heading(t["h_review"], level=1)
    para(t["review"])
    ctl("{%p for name, basis in L.bodies %}")
    para(t["body_basis"])
    ctl("{%p endfor %}")
    if t["close"]:
        para(t["close"])
    para(t["issuer"], align=WD_ALIGN_PARAGRAPH.RIGHT, first=None)
    para(t["date"], align=WD_ALIGN_PARAGRAPH.RIGHT, first=None)
    note = doc.add_paragraph()
    run = note.add_run(t["note"])
    run.font.size = Pt(10.5 if lang == "zh" else 9)
    core = doc.core_properties
    core.author = "accountrules"
    core.title = "问责追责建议书" if lang == "zh" else "Accountability letter"
    import datetime as dt

    core.created = core.modified = dt.datetime(2026, 1, 1)
    core.last_modified_by = "accountrules"
    core.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else OUT
    for lang in ("zh", "en"):
        (out / f"letter.{lang}.docx").write_bytes(build(lang))
        print(out / f"letter.{lang}.docx")


if __name__ == "__main__":
    main(sys.argv[1:])
