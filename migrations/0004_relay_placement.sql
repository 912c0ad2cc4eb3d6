CREATE TABLE `agent_locations` (
	`cluster` text PRIMARY KEY NOT NULL,
	`continent` text,
	`latitude` real,
	`longitude` real,
	`colo` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`cluster`) REFERENCES `clusters`(`name`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `relay_pairs` (
	`pair` text PRIMARY KEY NOT NULL,
	`cluster_a` text NOT NULL,
	`cluster_b` text NOT NULL,
	`location_hint` text,
	`jurisdiction` text,
	`worst_km` integer,
	`basis` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`cluster_a`) REFERENCES `clusters`(`name`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`cluster_b`) REFERENCES `clusters`(`name`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `relay_pairs_cluster_a` ON `relay_pairs` (`cluster_a`);--> statement-breakpoint
CREATE INDEX `relay_pairs_cluster_b` ON `relay_pairs` (`cluster_b`);