# The Durable Object migrations to send with this upload, decided as wrangler decides them
# (getMigrationsToUpload): read the migration tag the deployed Worker has applied, and send every migration
# after it, or all of them to a Worker that has none yet, or nothing when it is up to date.
data "cloudflare_workers_scripts" "deployed" {
  account_id = var.account_id
}

locals {
  migration_tags       = [for m in local.durable_object_migrations : m.tag]
  newest_migration_tag = local.migration_tags[length(local.migration_tags) - 1]

  # null when the Worker does not exist yet or has no Durable Object migration applied.
  applied_migration_tag = one([
    for s in data.cloudflare_workers_scripts.deployed.result : s.migration_tag
    if s.id == var.script_name && s.migration_tag != null && s.migration_tag != ""
  ])

  # -1: none applied yet; -2: a tag this module does not know (refused in script.tf).
  applied_migration_index = (
    local.applied_migration_tag == null ? -1 :
    contains(local.migration_tags, local.applied_migration_tag) ? index(local.migration_tags, local.applied_migration_tag) : -2
  )
  pending_migrations = local.applied_migration_index == -2 ? [] : slice(
    local.durable_object_migrations, local.applied_migration_index + 1, length(local.durable_object_migrations)
  )

  migrations = length(local.pending_migrations) == 0 ? null : {
    old_tag = local.applied_migration_tag
    new_tag = local.newest_migration_tag
    steps   = [for m in local.pending_migrations : { new_sqlite_classes = m.new_sqlite_classes }]
  }
}
