"""`make test` on a fresh machine (scripts/system-packages.sh): what the suite needs from
the system (chromium, PostgreSQL, Redis, nginx) is installed when it can be (root), else
the run stops at once with one line saying what to install. Run with a PATH (and a
PostgreSQL folder) of our making: this machine's programs and apt-get are never touched."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bot.settings import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "system-packages.sh"

PACKAGES = "chromium postgresql redis-server nginx"
# Each package installs its program: postgresql's in PG_BIN, the others on the PATH.
FAKE_APT_GET = """#!/bin/sh
echo "$*" >> "{log}"
for word in $*; do
  case "$word" in
    chromium|redis-server|nginx) printf '#!/bin/sh\\n' > "{bin}/$word"; /bin/chmod +x "{bin}/$word";;
    postgresql) /bin/mkdir -p "{bin}/pg"; printf '#!/bin/sh\\n' > "{bin}/pg/postgres"; /bin/chmod +x "{bin}/pg/postgres";;
  esac
done
"""


def run(bin_dir: Path, as_root: str) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/sh", str(SCRIPT)], env={"PATH": str(bin_dir),
                                                         "AS_ROOT": as_root,
                                                         "PG_BIN": str(bin_dir / "pg")},
                          capture_output=True, text=True, timeout=30)


def fake_apt_get(bin_dir: Path) -> Path:
    log = bin_dir / "apt-get.log"
    apt_get = bin_dir / "apt-get"
    apt_get.write_text(FAKE_APT_GET.format(log=log, bin=bin_dir))
    apt_get.chmod(0o755)
    return log


def program(bin_dir: Path, name: str) -> None:
    path = bin_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)


def test_without_them_and_not_root_it_stops_with_one_line_saying_what_to_install(
        tmp_path):
    log = fake_apt_get(tmp_path)
    done = run(tmp_path, as_root="no")
    assert done.returncode != 0
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1
    assert f"apt-get install -y {PACKAGES}" in done.stderr
    assert not log.exists()  # nothing was attempted


def test_without_them_as_root_it_installs_all_four_and_goes_on(tmp_path):
    log = fake_apt_get(tmp_path)
    done = run(tmp_path, as_root="yes")
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == ["update -qq", f"install -y -qq {PACKAGES}"]
    for name in ("chromium", "redis-server", "nginx", "pg/postgres"):
        assert (tmp_path / name).exists()
    assert run(tmp_path, as_root="yes").stdout == ""  # once there, nothing more


def test_only_what_is_missing_is_installed(tmp_path):
    log = fake_apt_get(tmp_path)
    program(tmp_path, "chromium")
    program(tmp_path, "pg/postgres")
    done = run(tmp_path, as_root="yes")
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == ["update -qq", "install -y -qq redis-server nginx"]


def test_as_root_a_failed_install_stops_with_one_line(tmp_path):
    (tmp_path / "apt-get").write_text("#!/bin/sh\nexit 100\n")
    (tmp_path / "apt-get").chmod(0o755)
    done = run(tmp_path, as_root="yes")
    assert done.returncode != 0
    assert len(done.stderr.splitlines()) == 1
    assert f"apt-get install -y {PACKAGES}" in done.stderr


def test_with_all_of_them_there_nothing_is_installed(tmp_path):
    log = fake_apt_get(tmp_path)
    for name in ("chromium", "redis-server", "nginx", "pg/postgres"):
        program(tmp_path, name)
    done = run(tmp_path, as_root="yes")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert not log.exists()


def test_make_test_checks_the_system_before_anything_else_and_ci_runs_make_test():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    test_rule = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert test_rule.split(":", 1)[1].split()[0] == "system-packages"
    assert "scripts/system-packages.sh" in makefile
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()
