"""The action server offers exactly the custom actions the domain names."""


import yaml
from rasa_sdk.executor import ActionExecutor

from bot.settings import PROJECT_ROOT


def test_action_server_registers_every_domain_action_and_nothing_else():
    executor = ActionExecutor()
    executor.register_package("actions")
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    assert set(executor.actions) == set(domain["actions"])
