"""The review workbook printed: LibreOffice (headless, Debian's package) turns it into PDF, and the
pages are read back — landscape, every sheet on its own pages one page wide, the Chinese text there."""
import subprocess

import pytest

from engine.report.workbook import write_review_workbook

from .conftest import ARTIFACTS, need_program


@pytest.fixture(scope="module")
def pdf(sample, tmp_path_factory):
    soffice = need_program("soffice", "ZHUNSHENG_SKIP_OFFICE")
    work = tmp_path_factory.mktemp("pdf")
    book = work / "审查结果.xlsx"
    write_review_workbook(sample, book)
    profile = (work / "profile").as_uri()          # a profile of its own: no clash with a running office
    res = subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                          "--outdir", str(work), str(book)], capture_output=True, text=True, timeout=300)
    out = work / "审查结果.pdf"
    assert res.returncode == 0 and out.is_file(), res.stdout + res.stderr
    return out


def test_every_sheet_prints_landscape_with_its_chinese_text(pdf):
    from pypdf import PdfReader
    reader = PdfReader(str(pdf))
    pages = [p.extract_text() or "" for p in reader.pages]
    assert 5 <= len(pages) <= 40, len(pages)
    assert all(float(p.mediabox.width) > float(p.mediabox.height) for p in reader.pages)
    text = "\n".join(pages)
    for words in ("案件编号", "问题名称", "示市监罚〔2024〕2号", "罚款不在情节对应的裁量阶次内",
                  "130,000–170,000元", "示例区市场监督管理局", "拒收原因", "逾期答复政府信息公开申请"):
        assert words in text, words
    first = [i for i, t in enumerate(pages) if "案件编号" in t]
    assert len(first) >= 3               # the header row repeats on the pages of 问题清单, 拒收记录 … 案件明细
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "审查结果.pdf").write_bytes(pdf.read_bytes())
