# A health-gated rolling reboot: two instances at a time, each probed on its own private address until healthy
# before the next wave starts; a rollout with more than one unhealthy instance stops, and the next `tofu apply`
# reboots only the failed and not-attempted instances.

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
  type = list(string)
}

variable "release" {
  type        = string
  description = "What the instances run, e.g. an image tag: a new value reboots them, wave by wave."
}

variable "health_url" {
  type        = string
  default     = "http://{privateIp}:8080/healthz"
  description = "Probed from where `tofu apply` runs: the instances' addresses must be reachable from there."
}

variable "pause_between_waves" {
  type        = number
  default     = 30
  description = "Seconds between a wave's last healthy instance and the next wave: a soak to watch dashboards."
}

variable "endpoint" {
  type        = string
  default     = null
  description = "Only for the ECS emulator (`ecsreboot emulator`): its URL."
}

provider "ecsreboot" {
  region   = var.region
  endpoint = var.endpoint
}

resource "ecsreboot_reboot_trigger" "fleet" {
  instance_ids        = var.instance_ids
  max_unavailable     = 2
  max_failures        = 1
  pause_between_waves = var.pause_between_waves

  triggers = {
    release = var.release
  }

  health_check {
    url                 = var.health_url
    expected_status     = [200]
    interval_seconds    = 5
    timeout_seconds     = 3
    healthy_threshold   = 2
    unhealthy_threshold = 6
  }

  timeouts {
    create = "30m"
    update = "30m"
  }
}

output "results" {
  value = ecsreboot_reboot_trigger.fleet.results
}

output "failed_instance_ids" {
  value = ecsreboot_reboot_trigger.fleet.failed_instance_ids
}
