"""GIST CA2 3.1.2: the momentum of q3.py judged from the steps the script takes, wherever the
student keeps M (the real `grade` command on python/ folders written like students write them)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MASTER = ROOT / "reference_solutions/gist_ca2/master"
ZERO = "    params['m_' + k] = np.zeros_like(params[k])\n"
UPDATE = ("                params['m_' + k] = 0.9 * params['m_' + k] - learning_rate * "
          "params['grad_' + k]\n                params[k] = params[k] + params['m_' + k]\n")

SCRIPTS = {
    # Momentum written, then switched off by a flag for a comparison run and handed in so.
    "switched_off_by_a_flag": (
        [("max_iters = 100\n", "max_iters = 100\nuse_momentum = False\n"),
         (UPDATE, "                if use_momentum:\n    " + UPDATE.replace("\n    ", "\n        ")
          + "                else:\n                    params[k] = params[k] - learning_rate "
            "* params['grad_' + k]\n")],
        {"carries": "momentum_off", "starts": "no_momentum"}, 0),
    # Its own dict of velocities under 'M_' + k, added with the other sign: the same steps.
    "velocities_in_a_dict_of_their_own": (
        [(ZERO, "    pass\nvelocity = {'M_' + k: np.zeros_like(v) for k, v in params.items()}\n"),
         (UPDATE, "                velocity['M_' + k] = 0.9 * velocity['M_' + k] + learning_rate"
                  " * params['grad_' + k]\n                params[k] -= velocity['M_' + k]\n")],
        {}, 3),
    "accumulators_start_at_one": ([(ZERO, ZERO.replace("zeros_like", "ones_like"))],
                                  {"starts": "nonzero_start"}, 2),
    "half_the_previous_step": ([(UPDATE, UPDATE.replace("0.9 *", "0.5 *"))],
                               {"carries": "wrong_coefficient"}, 1),
}


def _folder(tmp_path: Path, edits: list[tuple[str, str]]) -> Path:
    folder = tmp_path / "submission"
    shutil.copytree(MASTER, folder)
    script = folder / "python" / "q3.py"
    text = script.read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    script.write_text(text)
    return folder


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_momentum_marks_follow_the_steps_the_script_takes(name, tmp_path, grade_cli):
    edits, mistakes, marks = SCRIPTS[name]
    out = tmp_path / "full.json"
    result = grade_cli(str(_folder(tmp_path, edits)), "--assignment", "gist_ca2", "--only",
                       "3.1.2", "--full-json", str(out), "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (part,) = json.loads(out.read_text())["parts"]
    assert part["awarded"] == marks
    assert {c["check_id"]: c["details"].get("mistake", "") for c in part["checks"]} == {
        "carries": mistakes.get("carries", ""), "starts": mistakes.get("starts", "")}
