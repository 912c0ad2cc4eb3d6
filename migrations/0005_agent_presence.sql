ALTER TABLE `agents` ADD `connected_since` integer;--> statement-breakpoint
ALTER TABLE `agents` ADD `presence_at` integer;--> statement-breakpoint
ALTER TABLE `agents` ADD `registered_at` integer;--> statement-breakpoint
ALTER TABLE `agents` ADD `peer_stats_at` integer;--> statement-breakpoint
ALTER TABLE `clusters` ADD `reason_at` integer;