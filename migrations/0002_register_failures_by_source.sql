DROP INDEX `register_failures_cluster_at`;--> statement-breakpoint
ALTER TABLE `register_failures` ADD `source` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `register_failures_source_cluster_at` ON `register_failures` (`source`,`cluster`,`at`);--> statement-breakpoint
CREATE INDEX `register_failures_cluster` ON `register_failures` (`cluster`);