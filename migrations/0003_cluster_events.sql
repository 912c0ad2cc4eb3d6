CREATE TABLE `cluster_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`cluster` text NOT NULL,
	`at` integer NOT NULL,
	`type` text NOT NULL,
	`reason` text NOT NULL,
	`message` text DEFAULT '' NOT NULL,
	`detail` text DEFAULT '{}' NOT NULL,
	CONSTRAINT "cluster_events_type_check" CHECK("cluster_events"."type" in ('Normal', 'Warning'))
);
--> statement-breakpoint
CREATE INDEX `cluster_events_cluster_id` ON `cluster_events` (`cluster`,`id`);--> statement-breakpoint
ALTER TABLE `agents` ADD `values_report` text;--> statement-breakpoint
ALTER TABLE `psks` ADD `allow_rebind` integer DEFAULT false NOT NULL;