# Reboot a few ECS instances whenever their configuration text changes.
#
# `tofu plan` shows the change of `triggers.config_hash` and checks the would-be reboot with the API's DryRun;
# `tofu apply` reboots the instances and waits until they are Running again. Unchanged configuration: no change,
# not even an API call.

terraform {
  required_providers {
    ecsreboot = {
      source  = "ecsreboot/ecsreboot"
      version = "~> 0.1"
    }
  }
}

variable "region" {
  type    = string
  default = "cn-hangzhou"
}

variable "instance_ids" {
  type        = list(string)
  description = "The instances to reboot, e.g. [\"i-bp67acfmxazb4p0001\"]."
}

variable "config_text" {
  type        = string
  description = "In a real configuration this is the file you ship to the instances: file(\"nginx.conf\")."
}

variable "endpoint" {
  type        = string
  default     = null
  description = "Only for the ECS emulator (`ecsreboot emulator`): its URL. Leave unset for Alibaba Cloud."
}

# Credentials come from the environment (ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET), a profile
# of ~/.aliyun/config.json, or a RAM role, as the alicloud provider reads them.
provider "ecsreboot" {
  region   = var.region
  endpoint = var.endpoint
}

resource "ecsreboot_reboot_trigger" "web" {
  instance_ids = var.instance_ids
  triggers = {
    config_hash = sha256(var.config_text)
  }
}

output "reboot_count" {
  value = ecsreboot_reboot_trigger.web.reboot_count
}

output "last_reboot_time" {
  value = ecsreboot_reboot_trigger.web.last_reboot_time
}

output "failed_instance_ids" {
  value = ecsreboot_reboot_trigger.web.failed_instance_ids
}
