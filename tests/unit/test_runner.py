"""What `make run` promises: retrain only on change, servers on loopback, a private token
that reaches the Rasa server by its environment, never its command line."""

import shutil
import stat

import pytest

from bot.runtime.runner import (TRAINING_INPUTS, action_server_ports, auth_token,
                               rasa_server_environment, server_environment,
                               training_fingerprint)
from bot.settings import PROJECT_ROOT, load_settings
from integrations import rasa_server


def _copy_training_inputs(tmp_path):
    for name in TRAINING_INPUTS:
        source, target = PROJECT_ROOT / name, tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)
    return tmp_path


def test_fingerprint_changes_with_training_data_and_only_then(tmp_path):
    root = _copy_training_inputs(tmp_path)
    before = training_fingerprint(root)
    (root / "README.md").write_text("not a training input")
    assert training_fingerprint(root) == before
    with (root / "data" / "nlu" / "en" / "balance.yml").open("a") as handle:
        handle.write("    - how much is outstanding on our side\n")
    assert training_fingerprint(root) != before


def test_fingerprint_changes_with_the_code_of_our_nlu_components(tmp_path):
    root = _copy_training_inputs(tmp_path)
    before = training_fingerprint(root)
    with (root / "bot" / "nlu" / "intent_model.py").open("a") as handle:
        handle.write("\nTEMPERATURE = 0.3\n")
    assert training_fingerprint(root) != before


def test_servers_listen_on_loopback_unless_told_otherwise(tmp_path):
    env = server_environment(load_settings({"AR_STATE_DIR": str(tmp_path)}))
    assert env["SANIC_HOST"] == "127.0.0.1"
    assert load_settings({}).rasa_interface == "127.0.0.1"


def test_generated_api_token_is_kept_private_and_stable(tmp_path):
    settings = load_settings({"AR_STATE_DIR": str(tmp_path)})
    token = auth_token(settings)
    assert len(token) >= 32 and auth_token(settings) == token
    mode = stat.S_IMODE((tmp_path / "rasa_auth_token").stat().st_mode)
    assert mode == 0o600


def test_the_servers_get_the_api_token_in_their_environment(tmp_path):
    settings = load_settings({"AR_STATE_DIR": str(tmp_path)})
    assert server_environment(settings)["RASA_AUTH_TOKEN"] == auth_token(settings)


def test_a_single_worker_counts_in_memory_and_several_in_their_own_folder(
        tmp_path, monkeypatch):
    # Set at all, even empty, the variable makes prometheus_client write counter_<pid>.db
    # files into the working directory: the project's root.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    one = load_settings({"AR_STATE_DIR": str(tmp_path), "RASA_WORKERS": "1"})
    assert "PROMETHEUS_MULTIPROC_DIR" not in rasa_server_environment(one, 5005)
    three = load_settings({"AR_STATE_DIR": str(tmp_path)})  # the default: three workers
    env = rasa_server_environment(three, 5005)
    assert env["SANIC_WORKERS"] == "3"
    assert env["PROMETHEUS_MULTIPROC_DIR"].startswith(str(tmp_path))


def test_three_workers_running_the_actions_by_default_one_without_a_shared_lock_store(
        tmp_path):
    default = load_settings({"AR_STATE_DIR": str(tmp_path)})
    assert default.actions_in_process and default.rasa_workers == 3
    assert action_server_ports(default) == ()  # no action server to start
    assert load_settings({"AR_STATE_DIR": str(tmp_path), "LOCK_STORE_URL": ""}).rasa_workers == 1
    # An action server named: the workers leave it a core's share, and it is started.
    remote = load_settings({"AR_STATE_DIR": str(tmp_path),
                            "ACTION_SERVER_URL": "http://127.0.0.1:5055/webhook"})
    assert not remote.actions_in_process and remote.rasa_workers == 2
    assert action_server_ports(remote) == (5055,)


@pytest.mark.parametrize("argv", [["--auth-token", "s3cret"], ["-t", "s3cret"],
                                  ["--auth-tok=s3cret"]])
def test_the_rasa_server_refuses_a_token_on_its_command_line(argv):
    with pytest.raises(SystemExit) as refused:
        rasa_server.parse(["--enable-api", *argv])
    assert "RASA_AUTH_TOKEN" in str(refused.value) and "s3cret" not in str(refused.value)


def test_the_rasa_server_takes_the_options_of_rasa_run():
    args = rasa_server.parse(["--model", "models/m.tar.gz", "--endpoints", "endpoints.yml",
                              "--interface", "127.0.0.1", "--port", "5011",
                              "--enable-api", "--cors", "*"])
    assert (args.model, args.port, args.enable_api, args.cors, args.auth_token) == (
        "models/m.tar.gz", 5011, True, ["*"], None)


def test_processes_starting_at_once_all_read_the_same_kept_secret(tmp_path):
    import multiprocessing

    from bot.settings import kept_secret

    path = tmp_path / "state" / "webchat_secret"
    context = multiprocessing.get_context("fork")
    with context.Pool(6) as pool:
        secrets_read = pool.map(kept_secret, [path] * 24)
    assert len(set(secrets_read)) == 1 and len(secrets_read[0]) >= 32
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in path.parent.iterdir()] == ["webchat_secret"]  # no drafts left
