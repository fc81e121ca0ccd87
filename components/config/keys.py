"""Every key of a stack's config is read by something or refused: a key nothing reads is a setting the
operator believes in force and is not (`meshfleat:gateway` would leave every gateway internal).

What reads a key outside `meshfleet:`:
- the Pulumi engine: `pulumi:disable-default-providers` (pkg/resource/deploy/default_providers.go,
  shouldDenyRequest), `pulumi:autonaming` (pkg/cmd/pulumi/autonaming/config.go) and `pulumi:template`
  (written by `pulumi new`, pkg/cmd/pulumi/project/newcmd/config.go), read at pulumi v3.259.0;
- the default provider of a package the program uses without an explicit provider: only pulumi-tls
  (the trust roots and intermediates), whose one setting is `tls:proxy` (pulumi_tls/config/vars.py).

`aws:*`, `gcp:*` and `kubernetes:*` are read by nothing: every cluster has explicit providers, which take
their settings from the program and the environment, never from stack config (pulumi_aws/provider.py:
`region` from AWS_REGION when not given), and the stacks disable those default providers.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from .problems import Problems
from .reader import Section, choice_list

PROJECT = "meshfleet"
ENGINE_KEYS = ("pulumi:autonaming", "pulumi:disable-default-providers", "pulumi:template")
DEFAULT_PROVIDER_KEYS = ("tls:proxy",)
EXPLICIT_PROVIDERS = {
    "aws": "its region from clusters[].region and its credentials from the environment (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...)",
    "gcp": "its project from clusters[].create.project and its credentials from the environment (GOOGLE_APPLICATION_CREDENTIALS, ...)",
    "kubernetes": "its kubeconfig from the cluster it creates or adopts (clusters[].existing)",
}


def check_config_keys(keys: Iterable[str], own: Iterable[str], problems: Problems) -> None:
    """`keys` are full config keys (`namespace:name`); `own` are the `meshfleet:` names the program reads."""
    mine: list[str] = []
    for key in sorted(keys):
        namespace, colon, name = key.partition(":")
        if not colon:
            problems.add(key, f"has no namespace; write it as '{PROJECT}:{key}', as Pulumi reads a stack file's bare key")
        elif namespace == PROJECT:
            mine.append(name)
        elif namespace in EXPLICIT_PROVIDERS:
            problems.add(
                key,
                f"is read by nothing: meshfleet gives every cluster its own {namespace} provider, which takes "
                f"{EXPLICIT_PROVIDERS[namespace]}, not stack config; remove the key",
            )
        elif namespace in ("pulumi", "tls"):
            known = [k for k in (*ENGINE_KEYS, *DEFAULT_PROVIDER_KEYS) if k.startswith(f"{namespace}:")]
            if key not in known:
                problems.add(
                    key, f"is not a setting of {'the Pulumi engine' if namespace == 'pulumi' else 'pulumi-tls'}{_hint(key, known)}"
                )
        else:
            problems.add(key, _unknown_namespace(namespace, name))
    Section({name: True for name in mine}, f"{PROJECT}:", problems).reject_unknown(own)


def _hint(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f"; did you mean {close[0]!r}? known: {choice_list(known)}" if close else f"; known: {choice_list(known)}"


def _unknown_namespace(namespace: str, name: str) -> str:
    if difflib.get_close_matches(namespace.lower(), [PROJECT], n=1, cutoff=0.6):
        return f"unknown namespace {namespace!r}; did you mean '{PROJECT}:{name}'?"
    return (
        f"unknown namespace {namespace!r}: nothing in this program reads it; meshfleet's settings are '{PROJECT}:<setting>', "
        f"and the others it accepts are {choice_list((*ENGINE_KEYS, *DEFAULT_PROVIDER_KEYS))}"
    )
