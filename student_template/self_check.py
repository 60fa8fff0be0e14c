# nngrader: self-check
# Runs the public checks on the SAVED notebook: save it first (Ctrl+S / Cmd+S).
# Hidden checks and the answers read by a marker are graded after you submit.
import subprocess
import sys

_check = subprocess.run([sys.executable, "-m", "graders", "check", "{notebook}"],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
print(_check.stdout)
