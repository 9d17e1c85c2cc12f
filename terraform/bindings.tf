# The Worker's vars and secrets, from the inputs. Only the chosen store's settings are bound.
locals {
  bundle_path   = var.bundle_path != null ? var.bundle_path : "${path.module}/../dist/index.js"
  revision_file = "${dirname(local.bundle_path)}/GIT_REVISION"
  git_revision  = var.git_revision != null ? var.git_revision : (fileexists(local.revision_file) ? trimspace(file(local.revision_file)) : "")

  # Settings that belong to one store; a store's own settings are bound only when it is the one chosen.
  store_settings = {
    redis    = ["upstash_redis_rest_url", "upstash_redis_rest_token"]
    postgres = ["database_url", "neon_ws_proxy"]
    etcd     = ["etcd_endpoint", "etcd_username", "etcd_password"]
    mongodb  = ["mongodb_uri"]
  }
  # Which of them are set, whatever the store (a setting for another store is refused in script.tf). These
  # booleans derive from sensitive inputs, so they only feed conditions, never messages.
  settings_given = {
    upstash_redis_rest_url   = var.upstash_redis_rest_url != null
    upstash_redis_rest_token = var.upstash_redis_rest_token != null
    database_url             = var.database_url != null
    neon_ws_proxy            = var.neon_ws_proxy != null
    etcd_endpoint            = var.etcd_endpoint != null
    etcd_username            = var.etcd_username != null
    etcd_password            = var.etcd_password != null
    mongodb_uri              = var.mongodb_uri != null
  }
  settings_for_other_stores = sort(flatten([
    for store, names in local.store_settings : [for n in names : n if local.settings_given[n]] if store != var.store
  ]))

  # Plain-text vars: name => value, null = not bound.
  vars = {
    IPAM_AUTH                    = var.auth
    IPAM_CALL_LOG                = var.call_log
    IPAM_STORE                   = var.store
    IPAM_STORE_TIMEOUT_MS        = tostring(var.store_timeout_ms)
    IPAM_MAX_QUEUE               = tostring(var.max_queue)
    IPAM_IDEMPOTENCY_TTL_SECONDS = tostring(var.idempotency_ttl_seconds)
    IPAM_IDEMPOTENCY_MAX_KEYS    = tostring(var.idempotency_max_keys)
    GIT_REVISION                 = local.git_revision != "" ? local.git_revision : null
    NEON_WS_PROXY                = var.store == "postgres" ? var.neon_ws_proxy : null
    IPAM_AUTO_MIGRATE            = var.store == "postgres" ? tostring(var.postgres_auto_migrate) : null
    IPAM_PG_IDLE_MS              = var.store == "postgres" ? tostring(var.postgres_idle_ms) : null
    ETCD_ENDPOINT                = var.store == "etcd" ? var.etcd_endpoint : null
    ETCD_USERNAME                = var.store == "etcd" ? var.etcd_username : null
    MONGODB_DATABASE             = var.store == "mongodb" ? var.mongodb_database : null
  }

  # Secrets: which are bound is decided from non-sensitive inputs only, so the list of bindings itself
  # stays readable in a plan and only each secret's text shows as (sensitive value).
  secret_names = concat(
    ["IPAM_TOKENS"],
    var.store == "redis" ? ["UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"] : [],
    var.store == "postgres" ? ["DATABASE_URL"] : [],
    var.store == "etcd" && var.etcd_username != null ? ["ETCD_PASSWORD"] : [],
    var.store == "mongodb" ? ["MONGODB_URI"] : [],
  )
  secret_values = {
    IPAM_TOKENS              = jsonencode(var.ipam_tokens)
    UPSTASH_REDIS_REST_URL   = var.upstash_redis_rest_url
    UPSTASH_REDIS_REST_TOKEN = var.upstash_redis_rest_token
    DATABASE_URL             = var.database_url
    ETCD_PASSWORD            = var.etcd_password
    MONGODB_URI              = var.mongodb_uri
  }

  bindings = concat(
    [for b in local.durable_object_bindings : { name = b.name, type = "durable_object_namespace", class_name = b.class_name }],
    [for name in sort(keys(local.vars)) : { name = name, type = "plain_text", text = local.vars[name] } if local.vars[name] != null],
    [for name in local.secret_names : { name = name, type = "secret_text", text = local.secret_values[name] }],
  )
}
