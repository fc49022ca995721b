"""scripts/bp-verify-proof.py, run as an auditor would: a plain Python without budgetpolicy on the path.

``python -I -S`` ignores PYTHONPATH and site-packages, so neither budgetpolicy nor cryptography can be
imported (asserted); the script must check checkpoints, Ed25519 signatures and both kinds of proof alone.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from audit_helpers import ROOT
from test_checkpoints import checkpoint, grow, keys  # noqa: F401  (keys is a fixture)
from test_merkle import CONSISTENCY, INCLUSION, LEAVES, ROOTS

from budgetpolicy.cli import main

SCRIPT = ROOT / "scripts" / "bp-verify-proof.py"


def bare(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", "-S", str(SCRIPT), *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", timeout=60)


def script_module():
    spec = importlib.util.spec_from_file_location("bp_verify_proof", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bare_interpreter_really_has_no_budgetpolicy():
    for name in ("budgetpolicy", "cryptography"):
        done = subprocess.run([sys.executable, "-I", "-S", "-c", f"import {name}"], capture_output=True, text=True)
        assert done.returncode == 1 and "ModuleNotFoundError" in done.stderr


def test_the_script_agrees_with_the_rfc_vectors():
    v = script_module()
    for leaf, size, proof in INCLUSION:
        path = [bytes.fromhex(p) for p in proof]
        assert v.root_from_inclusion(leaf - 1, size, v.leaf_hash(LEAVES[leaf - 1]), path) == ROOTS[size - 1]
    for old, new, proof in CONSISTENCY:
        path = [bytes.fromhex(p) for p in proof]
        v.verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], path)
        if path:
            with pytest.raises(v.Failed):
                v.verify_consistency(old, new, ROOTS[new - 1], ROOTS[old - 1], path)


def test_the_script_verifies_the_go_signed_note_vector_in_pure_python():
    import base64
    v = script_module()
    public = base64.b64decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")[1:]
    blob = base64.b64decode("x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=")
    text = b"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    assert blob[:4].hex() == "c74f20a3" == v.key_id("PeterNeumann", public).hex()
    assert v.ed25519_verify(public, text, blob[4:])
    assert not v.ed25519_verify(public, text.replace(b"problem", b"Problem"), blob[4:])


def prove(capsys, *argv) -> Path:
    assert main(["ledger", "prove", *map(str, argv)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    return Path(argv[argv.index("-o") + 1])


def test_inclusion_and_consistency_proofs_check_without_budgetpolicy(ledger_path, tmp_path, capsys, keys):  # noqa: F811
    assert main(["ledger", "checkpoint", str(ledger_path), "--key", str(keys[0]), "-o", str(tmp_path / "old")]) == 0
    vkey = tmp_path / "vkey"
    vkey.write_text(capsys.readouterr().err.removeprefix("signed by "), encoding="utf-8")
    grow(ledger_path, 11, 6)
    new = checkpoint(capsys, ledger_path, tmp_path / "new", "--key", keys[0])
    inclusion = prove(capsys, ledger_path, 5, "--checkpoint", new, "-o", tmp_path / "inc.json")
    done = bare("proof", inclusion, "--key", vkey, "--key", keys[1], "--trusted", new)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "OK: record 5 (decision INI-004) is included in checkpoint budgetpolicy/ledger.db of size 17\n"
    consistency = prove(capsys, ledger_path, "--checkpoint", tmp_path / "old", "--checkpoint", new,
                        "-o", tmp_path / "cons.json")
    done = bare("proof", consistency, "--key", keys[1], "--trusted", tmp_path / "old")
    assert done.returncode == 0 and done.stdout.startswith("OK: the tree of size 17 extends the tree of size 11")
    done = bare("checkpoint", new, "--key", vkey)
    assert done.returncode == 0 and "signed by 1 key(s)" in done.stdout

    doc = json.loads(inclusion.read_text(encoding="utf-8"))
    doc["record"]["payload"] = doc["record"]["payload"].replace("1004", "9004")
    (tmp_path / "edited.json").write_text(json.dumps(doc), encoding="utf-8")
    done = bare("proof", tmp_path / "edited.json")
    assert done.returncode == 1 and done.stderr == \
        "FAILED: record 5: its columns and payload do not hash to its recorded hash\n"
    doc = json.loads(inclusion.read_text(encoding="utf-8"))
    doc["proof"][0] = "00" * 32
    (tmp_path / "path.json").write_text(json.dumps(doc), encoding="utf-8")
    done = bare("proof", tmp_path / "path.json")
    assert done.returncode == 1 and "record 5 is not included in the tree of the checkpoint (size 17)" in done.stderr
    done = bare("proof", consistency, "--trusted", new)
    assert done.returncode == 1 and "is not the one in" in done.stderr
    done = bare("proof", vkey)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and done.stderr.count("\n") == 1


def test_a_proof_for_a_record_after_the_checkpoint_or_a_mismatched_ledger_is_refused(ledger_path, tmp_path, capsys):
    cp = checkpoint(capsys, ledger_path, tmp_path / "cp")
    assert main(["ledger", "prove", str(ledger_path), "12", "--checkpoint", str(cp)]) == 2
    assert "BP808 error: record 12 is not in checkpoint" in capsys.readouterr().err
    from audit_helpers import raw
    raw(ledger_path).execute("UPDATE records SET payload = replace(payload, '1003', '9003') WHERE seq = 4")
    assert main(["ledger", "prove", str(ledger_path), "2", "--checkpoint", str(cp)]) == 1
    assert "cannot prove: the ledger fails verification: record 4: BP810" in capsys.readouterr().err
