"""A test process's throwaway cluster never outlives it, even when it is killed by kill -9."""
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tests.support import alive, wait_until

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# A test process in miniature: it starts its cluster as the test session does, then waits.
SESSION = """
import time
from tests.support import throwaway_cluster
print(throwaway_cluster().data, flush=True)
time.sleep(600)
"""


def test_a_killed_test_process_takes_its_cluster_and_folder_along():
    process = subprocess.Popen([sys.executable, "-c", SESSION], cwd=PROJECT_ROOT,
                               stdout=subprocess.PIPE, text=True)
    data = Path(process.stdout.readline().strip())
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    try:
        assert alive(postmaster)
        process.kill()
        process.wait()
        assert wait_until(lambda: not alive(postmaster), 10), "the cluster outlived a kill -9"
        assert wait_until(lambda: not data.parent.parent.exists(), 10), "its folder was left"
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
        if alive(postmaster):
            os.kill(postmaster, signal.SIGQUIT)
        shutil.rmtree(data.parent.parent, ignore_errors=True)
