-- Edited after drizzle-kit generate: the old table has no cluster column (NULL for every existing key),
-- and the CHECKs name bare columns so they stay right after the rename.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_access_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`scope` text NOT NULL,
	`cluster` text,
	`key_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`last_used_at` integer,
	`disabled` integer DEFAULT false NOT NULL,
	CONSTRAINT "access_keys_scope_check" CHECK("scope" in ('admin', 'values:read', 'cluster-values:read')),
	CONSTRAINT "access_keys_cluster_check" CHECK(("scope" = 'cluster-values:read') = ("cluster" is not null))
);
--> statement-breakpoint
INSERT INTO `__new_access_keys`("id", "name", "scope", "cluster", "key_hash", "created_at", "expires_at", "last_used_at", "disabled") SELECT "id", "name", "scope", NULL, "key_hash", "created_at", "expires_at", "last_used_at", "disabled" FROM `access_keys`;--> statement-breakpoint
DROP TABLE `access_keys`;--> statement-breakpoint
ALTER TABLE `__new_access_keys` RENAME TO `access_keys`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `access_keys_key_hash_unique` ON `access_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `access_keys_cluster` ON `access_keys` (`cluster`);