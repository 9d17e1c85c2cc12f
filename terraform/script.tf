# The Worker: the bundle from `npm run build`, wrangler.toml's runtime settings, both Durable Object
# bindings, the vars and the secrets.
resource "cloudflare_workers_script" "this" {
  account_id  = var.account_id
  script_name = var.script_name

  main_module    = basename(local.bundle_path)
  content_file   = local.bundle_path
  content_sha256 = filesha256(local.bundle_path)

  compatibility_date  = local.compatibility_date
  compatibility_flags = local.compatibility_flags

  bindings   = local.bindings
  migrations = local.migrations

  lifecycle {
    # Deleting or replacing this Worker deletes its Durable Objects and every namespace stored in them.
    # A plan that would do so (terraform destroy, a new script_name or account_id) fails here instead.
    # To retire a deployment on purpose: Dump every namespace, then remove this line.
    prevent_destroy = true

    precondition {
      condition     = var.auth == "disabled" || length(var.ipam_tokens) > 0
      error_message = "ipam_tokens is empty: with auth enabled the Worker would refuse every call. Give at least one token, e.g. ipam_tokens = { \"<admin token>\" = [\"*\"] }."
    }
    precondition {
      condition     = length(local.settings_for_other_stores) == 0
      error_message = "Settings of a store other than store = \"${var.store}\" are set (upstash_* belong to redis; database_url, neon_ws_proxy to postgres; etcd_* to etcd; mongodb_uri to mongodb). Set store to the backend you configured, or remove the other backend's settings."
    }
    precondition {
      condition     = var.store != "redis" || (var.upstash_redis_rest_url != null && var.upstash_redis_rest_token != null)
      error_message = "store = \"redis\" needs upstash_redis_rest_url and upstash_redis_rest_token."
    }
    precondition {
      condition     = var.store != "postgres" || var.database_url != null
      error_message = "store = \"postgres\" needs database_url."
    }
    precondition {
      condition     = var.store != "etcd" || (var.etcd_endpoint != null && (var.etcd_username == null) == (var.etcd_password == null))
      error_message = "store = \"etcd\" needs etcd_endpoint, and etcd_username and etcd_password together or neither."
    }
    precondition {
      condition     = var.store != "mongodb" || var.mongodb_uri != null
      error_message = "store = \"mongodb\" needs mongodb_uri."
    }
    precondition {
      condition     = local.applied_migration_index != -2
      error_message = "The deployed Worker ${var.script_name} has applied the Durable Object migration ${coalesce(local.applied_migration_tag, "?")}, which this version does not list: it was deployed from a newer version. Deploy that version or a later one; never go back past a migration."
    }
  }
}

# Warns (does not fail) when the Worker's applied migration tag is not the newest one after an apply.
check "durable_object_migrations_applied" {
  assert {
    condition     = cloudflare_workers_script.this.migration_tag == local.newest_migration_tag
    error_message = "The Worker reports Durable Object migration tag ${coalesce(cloudflare_workers_script.this.migration_tag, "(none)")}, expected ${local.newest_migration_tag}; run terraform apply again, and see docs/deploy.md if it stays."
  }
}
