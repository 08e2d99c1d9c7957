"""``scripts/ingest FOLDER --collection NAME``: files become documents, re-runs replace only changed files."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from retrieval_fakes import BagOfWordsEmbedder

from sglocal import ingest
from sluicegate.services import Services

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture()
def fake_services(services, monkeypatch) -> Services:
    own = Services(services.settings.model_copy())
    own.embedder = BagOfWordsEmbedder()
    monkeypatch.setattr(ingest, "get_services", lambda: own)
    yield own
    own.db.close()


def make_folder(root: Path) -> Path:
    (root / "guide").mkdir(parents=True)
    (root / "intro.md").write_text("# Intro\n\nThe gateway speaks the OpenAI API.\n")
    (root / "guide" / "setup.txt").write_text("Run make setup, then make run.\n" * 50)
    (root / "empty.txt").write_text("   \n")
    (root / "image.png").write_bytes(b"\x89PNG")
    return root


def documents_of(services: Services, tenant_id: str) -> dict[str, int]:
    with services.db.connection() as conn:
        rows = conn.execute(
            "SELECT d.external_id, count(c.id) FROM documents d LEFT JOIN chunks c ON c.document_id = d.id"
            " WHERE d.tenant_id = %s GROUP BY d.external_id",
            (tenant_id,),
        ).fetchall()
    return dict(rows)


def test_ingest_adds_text_and_markdown(fake_services, tenant_id, tmp_path, capsys):
    folder = make_folder(tmp_path / "docs")
    assert ingest.main([str(folder), "--collection", "handbook", "--tenant", tenant_id, "--batch-files", "1"]) == 0
    stored = documents_of(fake_services, tenant_id)
    assert set(stored) == {"intro.md", "guide:setup.txt"}
    assert stored["guide:setup.txt"] > 1
    err = capsys.readouterr().err
    assert "3/3 files" in err
    assert "2 created, 0 replaced, 0 unchanged, 1 empty files skipped" in err


def test_ingest_rerun_replaces_only_changed(fake_services, tenant_id, tmp_path, capsys):
    folder = make_folder(tmp_path / "docs")
    ingest.main([str(folder), "--collection", "handbook", "--tenant", tenant_id])
    (folder / "intro.md").write_text("# Intro\n\nChanged text.\n")
    assert ingest.main([str(folder), "--collection", "handbook", "--tenant", tenant_id]) == 0
    assert "0 created, 1 replaced, 1 unchanged" in capsys.readouterr().err
    assert documents_of(fake_services, tenant_id)["intro.md"] == 1


def test_ingest_reports_unknown_tenant(fake_services, tmp_path, capsys):
    folder = make_folder(tmp_path / "docs")
    assert ingest.main([str(folder), "--collection", "handbook", "--tenant", "no-such-tenant"]) == 1
    assert "tenant 'no-such-tenant' does not exist" in capsys.readouterr().err


def test_ingest_reports_missing_folder(tmp_path, capsys):
    assert ingest.main([str(tmp_path / "missing"), "--collection", "handbook"]) == 2
    assert "not found" in capsys.readouterr().err


@pytest.mark.model
def test_script_runs_with_real_model(services, tenant_id, tmp_path):
    folder = make_folder(tmp_path / "docs")
    env = dict(os.environ, SLUICEGATE_LOCAL_DIR=str(services.settings.local_dir), SLUICEGATE_MODEL_DIR=str(ROOT / "models"))
    result = subprocess.run(
        [str(ROOT / "scripts" / "ingest"), str(folder), "--collection", "handbook", "--tenant", tenant_id],
        capture_output=True, text=True, timeout=300, env=env, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "2 created" in result.stderr
    assert set(documents_of(services, tenant_id)) == {"intro.md", "guide:setup.txt"}
