CREATE TABLE `access_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`scope` text NOT NULL,
	`key_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`last_used_at` integer,
	`disabled` integer DEFAULT false NOT NULL,
	CONSTRAINT "access_keys_scope_check" CHECK("access_keys"."scope" in ('admin', 'values:read'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `access_keys_key_hash_unique` ON `access_keys` (`key_hash`);--> statement-breakpoint
CREATE TABLE `agents` (
	`cluster` text PRIMARY KEY NOT NULL,
	`public_key` text NOT NULL,
	`credential_hash` text NOT NULL,
	`cluster_uid` text NOT NULL,
	`version` text NOT NULL,
	`endpoints` text DEFAULT '[]' NOT NULL,
	`peer_stats` text DEFAULT '[]' NOT NULL,
	`last_seen` integer,
	`created_at` integer NOT NULL,
	`revoked` integer DEFAULT false NOT NULL,
	FOREIGN KEY (`cluster`) REFERENCES `clusters`(`name`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_public_key_unique` ON `agents` (`public_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `agents_credential_hash_unique` ON `agents` (`credential_hash`);--> statement-breakpoint
CREATE TABLE `clusters` (
	`name` text PRIMARY KEY NOT NULL,
	`display_name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`annotations` text DEFAULT '{}' NOT NULL,
	`local` integer DEFAULT false NOT NULL,
	`mesh_ip` text NOT NULL,
	`phase` text DEFAULT '' NOT NULL,
	`reason` text DEFAULT '' NOT NULL,
	`message` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `clusters_mesh_ip_unique` ON `clusters` (`mesh_ip`);--> statement-breakpoint
CREATE UNIQUE INDEX `clusters_single_local` ON `clusters` (`local`) WHERE "clusters"."local" = 1;--> statement-breakpoint
CREATE TABLE `platform_config` (
	`id` integer PRIMARY KEY NOT NULL,
	`yaml` text NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "platform_config_single_row" CHECK("platform_config"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE `psks` (
	`cluster` text PRIMARY KEY NOT NULL,
	`psk_hash` text NOT NULL,
	`rotated_at` integer NOT NULL,
	FOREIGN KEY (`cluster`) REFERENCES `clusters`(`name`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `register_failures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`cluster` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `register_failures_cluster_at` ON `register_failures` (`cluster`,`at`);