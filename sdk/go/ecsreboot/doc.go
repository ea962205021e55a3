// Reboot Alibaba Cloud ECS instances during `pulumi up` when trigger keys change: with a dry run in preview, rolling waves, waiting until the instances are Running again, and partial-failure handling that retries only the instances that failed.
package ecsreboot
