"""The committed golden frames are what umodbus and pymodbus produce today."""

import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).parent


def test_golden_file_matches_the_independent_encoders():
    fresh = subprocess.run([sys.executable, str(HERE / "codec_golden.py")], check=True, capture_output=True, text=True).stdout
    committed = (HERE.parent / "data" / "codec-golden.json").read_text()
    assert fresh == committed, "regenerate: python3 tests/peers/codec_golden.py > tests/data/codec-golden.json"
