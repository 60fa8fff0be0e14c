# nngrader: self-check
# Runs the public checks on the SAVED notebook: save it first (Ctrl+S / Cmd+S).
# Hidden checks and the answers read by a marker are graded after you submit.
import subprocess
import sys

subprocess.run([sys.executable, "-m", "graders", "check", "{notebook}"], check=False)
