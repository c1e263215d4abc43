"""Thousands of mutated answers files: the loader either accepts one or explains it; never a traceback."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mabs_wizard.answers import load_answers
from mabs_wizard.answers.models import Answers
from mabs_wizard.errors import InputError
from tests.fuzzing import examples
from tests.test_answers import MINIMAL

FULL = MINIMAL + """\
prerequisites:
  facts_file: facts.json
  mabs_version: v4
sql:
  mode: existing
  server: localhost
  instance: MABSDB
installation:
  scratch: D:\\Scratch
  planned_cloud_data_gb: 500
proxy:
  use_proxy: true
  host: proxy.contoso.com
  port: 3128
  username: svc
  password: {env: PROXY_PW}
  endpoints: [https://a.example, https://b.example]
"""

TOKENS = ["\n", " ", "  ", ":", "- ", "{", "}", "[", "]", ",", "'", '"', "#", "&a", "*a", "!!python/object:os.system", "~", "null",
          "true", "no", "0x1F", "1e309", "-", "\t", "\\", "%YAML 1.1\n", "---\n", "...\n", "? ", "|", ">", "@", "`", "\x00", "\ufeff",
          "version: 1", "sql:", "envv:", "{env: X}", "generate", "C:\\x", "9" * 40, "é", "\r\n"]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    text = FULL
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "swap-lines", "bytes"]))
        pos = draw(st.integers(0, len(text)))
        if kind == "insert":
            text = text[:pos] + draw(st.sampled_from(TOKENS)) + text[pos:]
        elif kind == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 30)):]
        elif kind == "replace":
            text = text[:pos] + draw(st.text(max_size=8)) + text[pos + draw(st.integers(0, 8)):]
        elif kind == "swap-lines":
            lines = text.splitlines(keepends=True)
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
        else:
            raw = bytearray(text.encode("utf-8", "surrogatepass"))
            at = draw(st.integers(0, max(0, len(raw) - 1)))
            raw[at:at] = draw(st.binary(min_size=1, max_size=4))
            return bytes(raw)
    return text.encode("utf-8", "surrogatepass")


@settings(max_examples=examples(3000), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=mutated())
def test_no_traceback_ever_escapes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "answers.yaml"
    path.write_bytes(data)
    try:
        answers = load_answers(path)
    except InputError as exc:
        lines = exc.lines()
        assert lines and all(line.strip() for line in lines)
        assert all(str(path) in line for line in lines), lines  # every problem names the file
        assert all("Traceback" not in line for line in lines)
    else:
        assert isinstance(answers, Answers)
