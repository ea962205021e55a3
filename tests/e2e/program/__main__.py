"""The end-to-end tier's Pulumi program: RebootTriggers (and explicit providers) described by stack config.

Config (all JSON objects, set by the tests with `pulumi config set --path` or a stack file):
- `providers`: {name: ProviderArgs in snake_case} — explicit `ecsreboot.Provider` resources;
- `resources`: {name: RebootTriggerArgs in snake_case, plus `provider` (a name above), `timeout` (customTimeouts
  create/update, e.g. "2m"), `import` (an id to adopt), `after` (a resource
  above whose `lastRebootTime` becomes trigger `after`), `secretTrigger` (a trigger key whose value is the
  secret config `secretValue`) and `secretHealthUrl` (a healthCheck whose url is that secret)}.
Each resource's outputs are exported under its name.
"""

import pulumi
import pulumi_ecsreboot as ecsreboot

config = pulumi.Config()
providers = {name: ecsreboot.Provider(name, **args) for name, args in (config.get_object("providers") or {}).items()}

created = {}
for name, spec in (config.get_object("resources") or {}).items():
    args = dict(spec)
    options = pulumi.ResourceOptions()
    if "provider" in args:
        options.provider = providers[args.pop("provider")]
    if "import" in args:  # adopt an existing trigger by id (`pulumi import` from the program)
        options.import_ = args.pop("import")
    if "timeout" in args:
        timeout = args.pop("timeout")
        options.custom_timeouts = pulumi.CustomTimeouts(create=timeout, update=timeout)
    triggers = dict(args.pop("triggers", None) or {})
    if "after" in args:  # reboot after another trigger's round: unknown during that round's preview
        triggers["after"] = created[args.pop("after")].last_reboot_time
    if "secretTrigger" in args:
        triggers[args.pop("secretTrigger")] = config.require_secret("secretValue")
    if args.pop("secretHealthUrl", False):  # a health check whose URL is the secret config `secretValue`
        args["health_check"] = {"url": config.require_secret("secretValue")}
    trigger = created[name] = ecsreboot.RebootTrigger(name, triggers=triggers, **args, opts=options)
    pulumi.export(name, {
        "rebootCount": trigger.reboot_count,
        "failedInstanceIds": trigger.failed_instance_ids,
        "selectedInstanceIds": trigger.selected_instance_ids,
        "results": trigger.results,
        "requestIds": trigger.request_ids,
        "lastRebootTime": trigger.last_reboot_time,
    })
