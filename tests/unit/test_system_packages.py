"""`make test` on a fresh machine (scripts/system-packages.sh): what the suite needs from
the system is installed when it can be (root), else the run stops at once with one line
saying what to install. Run with a PATH of our making: this machine's chromium and
apt-get are never touched."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bot.settings import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "system-packages.sh"

FAKE_APT_GET = """#!/bin/sh
echo "$*" >> "{log}"
case "$*" in *install*chromium*) printf '#!/bin/sh\\n' > "{bin}/chromium"; /bin/chmod +x "{bin}/chromium";; esac
"""


def run(bin_dir: Path, as_root: str) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/sh", str(SCRIPT)], env={"PATH": str(bin_dir),
                                                         "AS_ROOT": as_root},
                          capture_output=True, text=True, timeout=30)


def fake_apt_get(bin_dir: Path) -> Path:
    log = bin_dir / "apt-get.log"
    apt_get = bin_dir / "apt-get"
    apt_get.write_text(FAKE_APT_GET.format(log=log, bin=bin_dir))
    apt_get.chmod(0o755)
    return log


def test_without_chromium_and_not_root_it_stops_with_one_line_saying_what_to_install(
        tmp_path):
    log = fake_apt_get(tmp_path)
    done = run(tmp_path, as_root="no")
    assert done.returncode != 0
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1
    assert "apt-get install -y chromium" in done.stderr
    assert not log.exists()  # nothing was attempted


def test_without_chromium_as_root_it_installs_chromium_and_goes_on(tmp_path):
    log = fake_apt_get(tmp_path)
    done = run(tmp_path, as_root="yes")
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == ["update -qq", "install -y -qq chromium"]
    assert (tmp_path / "chromium").exists()


def test_as_root_a_failed_install_stops_with_one_line(tmp_path):
    (tmp_path / "apt-get").write_text("#!/bin/sh\nexit 100\n")
    (tmp_path / "apt-get").chmod(0o755)
    done = run(tmp_path, as_root="yes")
    assert done.returncode != 0
    assert len(done.stderr.splitlines()) == 1 and "apt-get install -y chromium" in done.stderr


def test_with_chromium_on_the_path_nothing_is_installed(tmp_path):
    log = fake_apt_get(tmp_path)
    (tmp_path / "chromium").write_text("#!/bin/sh\n")
    (tmp_path / "chromium").chmod(0o755)
    done = run(tmp_path, as_root="yes")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert not log.exists()


def test_make_test_checks_the_system_before_anything_else_and_ci_runs_make_test():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    test_rule = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert test_rule.split(":", 1)[1].split()[0] == "system-packages"
    assert "scripts/system-packages.sh" in makefile
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()
