"""The deployment files (deploy/compose.yml, deploy/k8s/*.yaml) cannot run here, so they are
read and held to the tested topology: the processes and commands `python -m bot run`
starts (bot/runtime/runner.py), settings that exist (.env.example), secrets only from
secrets, probes on the real health paths, two or more Rasa and action servers, and each
Rasa server's state folder (where it keeps messages while the database is down,
bot/messaging/inbound_spool.py) on a persistent volume of its own."""

from __future__ import annotations

import re
from pathlib import Path
from unittest import mock

import pytest
import yaml

from bot.runtime import runner
from bot.settings import PROJECT_ROOT, load_settings

DEPLOY = PROJECT_ROOT / "deploy"
NGINX_TEMPLATE = "deploy/nginx/ar-assistant.conf.template"  # helper scale's, by name
SERVERS = {"rasa": "integrations.rasa_server", "actions": "integrations.action_server",
           "console": "bot"}
# Options whose value differs by place: where the model is, which address, which port.
PLACE_OPTIONS = ("--model", "--interface", "--port")
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|_URL$")
NOT_SECRET_URLS = {"ACTION_SERVER_URL", "PUBLIC_BASE_URL", "CONSOLE_PUBLIC_URL",
                   "TWILIO_API_BASE_URL", "SLACK_API_BASE_URL", "AR_PAY_PORTAL_URL",
                   "AR_ERP_PDF_URL"}


def env_example_names() -> set[str]:
    text = (PROJECT_ROOT / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def secret_names() -> set[str]:
    text = (DEPLOY / "secrets.env.example").read_text()
    return set(re.findall(r"^([A-Z][A-Z0-9_]+)=", text, re.MULTILINE)) - {
        "POSTGRES_PASSWORD", "REDIS_PASSWORD"}  # the services' own, not the assistant's


def is_secret(name: str) -> bool:
    return bool(SECRET_NAME.search(name)) and name not in NOT_SECRET_URLS


def runner_commands(tmp_path) -> dict[str, list[str]]:
    """What start_servers runs, by server, after `python -m` (nothing is started)."""
    started: list[list[str]] = []

    class Started:
        returncode = None

        def __init__(self, args, **_kwargs):
            self.args, self.pid = args, 0
            started.append(list(args))

        def poll(self):
            return None

    # With action servers, as deploy/ runs it (its ACTION_SERVER_URL is nginx's).
    settings = load_settings({"AR_STATE_DIR": str(tmp_path),
                              "ACTION_SERVER_URL": compose()["x-app"]["environment"][
                                  "ACTION_SERVER_URL"]})
    with mock.patch.object(runner.subprocess, "Popen", Started), \
            mock.patch.object(runner, "wait_until_up", return_value=True):
        runner.start_servers(settings, tmp_path / "model.tar.gz")
    by_module = {args[2]: args[2:] for args in started}
    assert all(args[1] == "-m" for args in started)
    return {name: by_module[module] for name, module in SERVERS.items()}


def without_place(command: list[str]) -> list[str]:
    out, skip = [], False
    for part in command:
        if skip:
            skip = False
            continue
        if part in PLACE_OPTIONS:
            out.append(part)
            skip = True
            continue
        out.append(part)
    return out


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yml").read_text())


def compose_servers(name: str) -> dict[str, dict]:
    """The compose services of one server: `name`, or `name-1`, `name-2`, ... (one service
    per Rasa server, each with its own volume)."""
    return {n: s for n, s in compose()["services"].items()
            if n == name or re.fullmatch(rf"{re.escape(name)}-\d+", n)}


def k8s_documents() -> list[dict]:
    docs = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def k8s_deployments() -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in k8s_documents()
            if d["kind"] in ("Deployment", "StatefulSet", "Job")}


def container(workload: dict) -> dict:
    (only,) = workload["spec"]["template"]["spec"]["containers"]
    return only


def as_module_command(command: list[str]) -> list[str]:
    assert command[:2] == ["python", "-m"], command
    return command[2:]


def test_compose_runs_the_runners_servers_with_its_commands(tmp_path):
    services = compose()["services"]
    for name, command in runner_commands(tmp_path).items():
        assert compose_servers(name), name
        for service_name, service in compose_servers(name).items():
            theirs = as_module_command(service["command"])
            assert without_place(theirs) == without_place(command), service_name
            if "--interface" in theirs:  # reached from other containers
                assert option(theirs, "--interface") == "0.0.0.0"
    assert as_module_command(services["migrate"]["command"]) == ["bot", "migrate"]


def test_kubernetes_runs_the_runners_servers_with_its_commands(tmp_path):
    workloads = k8s_deployments()
    for name, command in runner_commands(tmp_path).items():
        theirs = as_module_command(container(workloads[name])["command"])
        assert without_place(theirs) == without_place(command), name
    assert as_module_command(container(workloads["ar-migrate"])["command"]) == ["bot", "migrate"]


def replicas(service: dict) -> int:
    return (service.get("deploy") or {}).get("replicas", 1)


def test_two_or_more_rasa_and_action_servers():
    workloads = k8s_deployments()
    for name in ("rasa", "actions"):
        assert sum(map(replicas, compose_servers(name).values())) >= 2
        assert workloads[name]["spec"]["replicas"] >= 2


def port_of(name: str, command: list[str]) -> int:
    # The console's port is a setting (CONSOLE_PORT), the servers' an option.
    return int(option(command, "--port")) if "--port" in command else 5080


def test_probes_point_at_the_real_health_paths_on_the_servers_port():
    workloads = k8s_deployments()
    for name in SERVERS:
        spec = container(workloads[name])
        port = port_of(name, spec["command"])
        assert [p["containerPort"] for p in spec["ports"]] == [port]
        assert spec["livenessProbe"]["httpGet"] == {"path": runner.LIVE_PATH, "port": port}
        assert spec["readinessProbe"]["httpGet"] == {"path": runner.READY_PATH, "port": port}
        for service_name, service in compose_servers(name).items():
            assert f"127.0.0.1:{port}{runner.READY_PATH}" in " ".join(
                service["healthcheck"]["test"]), service_name
    assert workloads["console"]["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    assert yaml.safe_load((DEPLOY / "k8s" / "settings.yaml").read_text())["data"][
        "CONSOLE_PORT"] == "5080" == compose()["x-app"]["environment"]["CONSOLE_PORT"]


def app_settings() -> list[tuple[str, str, object]]:
    """(where, name, value) of every setting given to one of our processes."""
    found = []
    for name, service in compose()["services"].items():
        if service.get("image") == "ar-assistant:latest":
            found += [(f"compose {name}", k, v)
                      for k, v in (service.get("environment") or {}).items()]
    for doc in k8s_documents():
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "ar-settings":
            found += [("k8s ar-settings", k, v) for k, v in doc["data"].items()]
    for name, workload in k8s_deployments().items():
        spec = container(workload)
        if spec["image"] == "ar-assistant:latest":
            found += [(f"k8s {name}", e["name"], e.get("value")) for e in spec.get("env", [])]
    return found


def test_every_setting_they_set_exists():
    known = env_example_names()
    given = app_settings()
    assert given and {name for _, name, _ in given} <= known, \
        {(where, name) for where, name, _ in given if name not in known}
    assert secret_names() <= known


def test_secrets_come_from_secrets_never_from_the_files():
    for where, name, value in app_settings():
        assert not is_secret(name) and name not in secret_names(), (where, name)
        assert not re.search(r"://[^/\s]*:[^@\s]*@", str(value)), (where, name)
    services = compose()["services"]
    for name, service in services.items():
        if service.get("image") == "ar-assistant:latest" or name in ("postgres", "redis"):
            assert service["env_file"] == ["secrets.env"], name
            assert "POSTGRES_PASSWORD" not in (service.get("environment") or {})
    for name, workload in k8s_deployments().items():
        spec = container(workload)
        if spec["image"] == "ar-assistant:latest":
            assert {"secretRef": {"name": "ar-secrets"}} in spec["envFrom"], name
        for entry in spec.get("env", []):
            if is_secret(entry["name"]):
                assert entry["valueFrom"]["secretKeyRef"]["name"] == "ar-secrets", entry
    assert not [d for d in k8s_documents() if d["kind"] == "Secret"]  # made from secrets.env
    assert "deploy/secrets.env" in (PROJECT_ROOT / ".gitignore").read_text().split()


@pytest.mark.parametrize("command_of", [
    lambda: compose()["services"]["nginx"]["command"][-1],
    lambda: container(k8s_deployments()["nginx"])["command"][-1],
])
def test_nginx_renders_the_shared_template_with_every_variable_it_is_given(command_of):
    services = compose()["services"]
    assert f"./nginx/{Path(NGINX_TEMPLATE).name}:/etc/ar/{Path(NGINX_TEMPLATE).name}:ro" in \
        services["nginx"]["volumes"]
    kustomize = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    assert {"name": "ar-nginx", "files": [f"../nginx/{Path(NGINX_TEMPLATE).name}"]} in \
        kustomize["configMapGenerator"]
    rendered = set(re.findall(r"\$\$?\{([A-Z_]+)\}", command_of().split("<")[0]))
    given = set(services["nginx"]["environment"])
    assert rendered == given == {e["name"] for e in container(k8s_deployments()["nginx"])["env"]}
    template = PROJECT_ROOT / NGINX_TEMPLATE  # the file both deployments mount
    lines = [line for line in template.read_text().splitlines()
             if not line.lstrip().startswith("#")]  # its header explains ${NAME}
    assert set(re.findall(r"\$\{([A-Z_]+)\}", "\n".join(lines))) == given
    # Rasa reaches the action servers through nginx's second listener.
    assert compose()["x-app"]["environment"]["ACTION_SERVER_URL"] == \
        f"http://nginx:{services['nginx']['environment']['ACTIONS_LISTEN']}/webhook"


def image_home_and_user() -> tuple[str, int]:
    """The image's working directory (the project's root there) and its user's uid."""
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    (workdir,) = re.findall(r"^WORKDIR\s+(\S+)", dockerfile, re.MULTILINE)
    (uid,) = re.findall(r"useradd\b[^\n]*--uid\s+(\d+)", dockerfile)
    return workdir, int(uid)


def state_folder(settings: dict) -> str:
    """Where a server in the image keeps its state (AR_STATE_DIR), as bot/settings.py
    resolves it: the setting, else `var` under the project's root."""
    folder = str(settings.get("AR_STATE_DIR") or "var")
    return folder if folder.startswith("/") else f"{image_home_and_user()[0]}/{folder}"


def mount_holding(folder: str, mounts: list[tuple[str, str]]) -> str:
    """The volume, of (volume, mount path) pairs, that the folder is on ("" if none)."""
    holding = [(len(path), volume) for volume, path in mounts
               if folder == path.rstrip("/") or folder.startswith(path.rstrip("/") + "/")]
    return max(holding)[1] if holding else ""


def k8s_settings() -> dict:
    (settings,) = [d for d in k8s_documents()
                   if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "ar-settings"]
    return settings["data"]


def test_kubernetes_keeps_each_rasa_servers_spool_on_a_persistent_volume_of_its_own():
    """A pod replaced (a rollout, a node drained) while the database is down must come
    back with the messages its server kept: the state folder on a claim of the pod's own
    (a StatefulSet's volumeClaimTemplate, bound again to the pod that takes its name),
    writable by the image's user, and kept when the set is scaled down or deleted."""
    rasa = k8s_deployments()["rasa"]
    assert rasa["kind"] == "StatefulSet"
    spec, pod = container(rasa), rasa["spec"]["template"]["spec"]
    env = {**k8s_settings(), **{e["name"]: e.get("value") for e in spec.get("env", [])}}
    folder = state_folder(env)
    volume = mount_holding(folder, [(m["name"], m["mountPath"])
                                    for m in spec.get("volumeMounts", [])])
    claims = {t["metadata"]["name"]: t["spec"] for t in rasa["spec"]["volumeClaimTemplates"]}
    assert volume in claims, f"{folder} is not on a volume claimed per pod"
    assert volume not in {v["name"] for v in pod.get("volumes", [])}  # not shadowed
    assert claims[volume]["accessModes"] == ["ReadWriteOnce"]
    assert claims[volume]["resources"]["requests"]["storage"]
    retention = rasa["spec"].get("persistentVolumeClaimRetentionPolicy", {})
    assert retention.get("whenScaled", "Retain") == retention.get("whenDeleted", "Retain") \
        == "Retain"
    assert pod["securityContext"]["fsGroup"] == image_home_and_user()[1]
    (service,) = [d for d in k8s_documents()
                  if d["kind"] == "Service" and d["metadata"]["name"] == rasa["spec"]["serviceName"]]
    assert service["spec"]["selector"].items() <= rasa["spec"]["template"]["metadata"][
        "labels"].items()


def test_compose_keeps_each_rasa_servers_spool_on_a_named_volume_of_its_own():
    """A container recreated (a new image, `up --force-recreate`) while the database is
    down must find the messages its server kept: each Rasa server a service of its own
    (replicas would share one volume) with its state folder on a named volume of its own,
    and nginx sending to each."""
    document = compose()
    servers = compose_servers("rasa")
    assert len(servers) >= 2
    held: dict[str, str] = {}
    for name, service in servers.items():
        assert replicas(service) == 1, name
        folder = state_folder(service.get("environment") or {})
        mounts = [tuple(v.split(":")[:2]) for v in service.get("volumes", [])]
        volume = mount_holding(folder, mounts)
        assert volume in (document.get("volumes") or {}), f"{name}: {folder} on no named volume"
        held[name] = volume
    assert len(set(held.values())) == len(held), held
    upstreams = document["services"]["nginx"]["environment"]["RASA_SERVERS"]
    assert re.findall(r"server (\S+):5005 ", upstreams) == list(servers)
