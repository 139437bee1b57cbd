"""``zhunsheng rules draft LAW ARTICLE``: the command around ``engine.library.draft``.

Why the files go beside the caller by default and not into ``rules/``: a draft in the rules folder makes
``rules lint`` fail for everyone using that folder, which is right once a person has decided to review
it there (``--out rules/penalty/…``) and wrong as a side effect of trying the command.
"""
from __future__ import annotations

import shlex
from pathlib import Path

import click

from engine.cli_support import UserError, guard


def cases_path(out: Path) -> Path:
    """``FSL-124-1.yaml`` → ``FSL-124-1.cases.yaml``, the name ``rules test`` reads."""
    name = out.name[:-5] if out.name.endswith(".yaml") else out.name
    return out.with_name(name + ".cases.yaml")


def _already_encoded(draft_, rules_dir) -> list[str]:
    """Provisions of the rule set that already cite this article (and paragraph): the draft may repeat one."""
    from engine.errors import ZhunshengError
    from engine.ruleset.loader import load_rules
    try:
        rs = load_rules(rules_dir)
    except (ZhunshengError, OSError):
        return []
    out = []
    for pid, cp in rs.provisions.items():
        c = cp.model.citation
        if c.law == draft_.statute.title and c.article == draft_.article.number and \
                (draft_.paragraph is None or c.paragraph in (None, draft_.paragraph)):
            out.append(pid)
    return sorted(out)


@click.command("draft")
@click.argument("law")
@click.argument("article")
@click.option("--paragraph", type=click.IntRange(min=1), default=None,
              help="款 The paragraph to draft (default: the first that penalises, with one that only raises it).")
@click.option("--sentence", type=click.IntRange(min=1), default=None,
              help="句 The part of the paragraph that describes another violation (ids end -sN).")
@click.option("--law-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="法规文本文件夹 Folder of statute texts, NAME(YYYY-MM-DD).md (default: the bundled rules/texts/).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="条款草稿文件 The draft provision file (default: ./ID.yaml); the cases go beside it as ID.cases.yaml.")
@click.option("--id", "provision_id", default=None, help="条款编号 Provision id (default: PREFIX-article[-paragraph]).")
@click.option("--force", is_flag=True, help="覆盖已有文件 Overwrite existing files.")
@guard
def draft(law, article, paragraph, sentence, law_dir, out, provision_id, force):
    """从法规条文起草处罚条款和案例骨架（草稿，须人工审核）。
    Draft a provision and a skeleton of its cases from the statute text (a draft: a person must review it).

    LAW: 法规全称、简称或编号前缀 (中华人民共和国食品安全法, 食品安全法, FSL).
    ARTICLE: 条号，阿拉伯或中文数字 (124, 一百二十四)."""
    from engine.io.atomic import write_text
    from engine.library.draft import draft as make_draft
    from engine.library.draft_yaml import cases_text, provision_text

    d = make_draft(law, article, paragraph, law_dir, sentence=sentence, provision_id=provision_id)
    target = out or Path.cwd() / f"{d.id}.yaml"
    if not target.name.endswith(".yaml") or target.name.endswith(".cases.yaml"):
        raise UserError(f"输出文件名应以 .yaml 结尾且不是 .cases.yaml (the output must end in .yaml and not be a "
                        f".cases.yaml): {target}")
    targets = [target, cases_path(target)]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise UserError("文件已存在，加 --force 覆盖 (file exists; use --force to overwrite): "
                        + ", ".join(map(str, existing)))
    command = " ".join(["zhunsheng rules draft", shlex.quote(law), shlex.quote(str(article))]
                       + ([f"--paragraph {paragraph}"] if paragraph else [])
                       + ([f"--sentence {sentence}"] if sentence else []))
    ctx = click.get_current_context().find_root().obj
    encoded = _already_encoded(d, getattr(ctx, "rules_dir", None)) if ctx is not None else []
    try:
        write_text(target, provision_text(d, command))
        write_text(targets[1], cases_text(d))
    except OSError as e:
        raise UserError(f"无法写入 (cannot write): {e}") from None
    click.echo(f"已写入草稿 (draft written): {target}")
    click.echo(f"已写入案例骨架 (case skeleton written): {targets[1]}")
    click.echo(f"分支 (branches): {len(d.branches)}; 未能解析 (not parsed): {len(d.notes)}"
               + (f"，其中涉及罚款幅度或条件 {len(d.range_notes)} 项 (bearing on fines or conditions: "
                  f"{len(d.range_notes)})" if d.range_notes else ""))
    for n in d.notes:
        click.echo(f"  未能解析 (not parsed) [{n.kind}]: {n.text}")
    if encoded:
        click.echo(f"注意：规则库已有条款引用此条 (note: already encoded by): {', '.join(encoded)}")
    click.echo("草稿含 draft: true，rules lint 在人工审核前拒绝它 "
               "(the draft says draft: true; rules lint refuses it until a person has reviewed it)")
