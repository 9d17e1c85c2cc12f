# Inputs of the edge-ipam module. docs/configuration.md lists each with the Worker setting it becomes.

# --- Where ---------------------------------------------------------------------------------------------

variable "account_id" {
  description = "Cloudflare account ID (32 hex characters; dashboard: Workers & Pages, Account details)."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{32}$", var.account_id))
    error_message = "account_id must be the account's 32-character hexadecimal ID, not its name or an email address."
  }
}

variable "script_name" {
  description = "Name of the Worker. Never change it after the first apply: a new name is a new Worker with empty Durable Objects."
  type        = string
  default     = "edge-ipam"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$", var.script_name))
    error_message = "script_name must be 1 to 63 lowercase letters, digits, '-' or '_', starting and ending with a letter or digit."
  }
}

variable "bundle_path" {
  description = "The Worker bundle `npm run build` writes. Default: dist/index.js of the checkout this module is part of."
  type        = string
  default     = null
}

# --- Auth ----------------------------------------------------------------------------------------------

variable "ipam_tokens" {
  description = "API tokens (secret IPAM_TOKENS): each token maps to the namespaces it may use; [\"*\"] means all namespaces and the admin RPCs."
  type        = map(list(string))
  sensitive   = true
  default     = {}

  validation {
    condition     = alltrue([for token in keys(var.ipam_tokens) : can(regex("^[!-~]{16,}$", token))])
    error_message = "Every token in ipam_tokens must be at least 16 visible ASCII characters without spaces (e.g. from `openssl rand -hex 32`)."
  }

  validation {
    condition     = alltrue(flatten([for namespaces in values(var.ipam_tokens) : [for n in namespaces : can(regex("^[!-~]{1,63}$", n))]]))
    error_message = "Every namespace in ipam_tokens must be \"*\" or a name of 1 to 63 visible ASCII characters."
  }
}

variable "auth" {
  description = "IPAM_AUTH: \"enabled\" (tokens required) or \"disabled\" (every caller may use every namespace; never in production)."
  type        = string
  default     = "enabled"

  validation {
    condition     = contains(["enabled", "disabled"], var.auth)
    error_message = "auth must be \"enabled\" or \"disabled\"."
  }
}

# --- Operations ----------------------------------------------------------------------------------------

variable "call_log" {
  description = "IPAM_CALL_LOG: which calls get a JSON log line, \"all\", \"errors\" or \"off\"."
  type        = string
  default     = "all"

  validation {
    condition     = contains(["all", "errors", "off"], var.call_log)
    error_message = "call_log must be \"all\", \"errors\" or \"off\"."
  }
}

variable "git_revision" {
  description = "GIT_REVISION, shown by the Version RPC. Default: the commit `npm run build` recorded next to the bundle."
  type        = string
  default     = null
}

# --- Store ---------------------------------------------------------------------------------------------

variable "store" {
  description = "IPAM_STORE: where namespaces are kept, \"durable-object\", \"redis\", \"postgres\", \"etcd\" or \"mongodb\"."
  type        = string
  default     = "durable-object"

  validation {
    condition     = contains(["durable-object", "redis", "postgres", "etcd", "mongodb"], var.store)
    error_message = "store must be one of \"durable-object\", \"redis\", \"postgres\", \"etcd\", \"mongodb\"."
  }
}

variable "store_timeout_ms" {
  description = "IPAM_STORE_TIMEOUT_MS: the longest single round trip to the store, in milliseconds."
  type        = number
  default     = 10000

  validation {
    condition     = var.store_timeout_ms >= 1 && var.store_timeout_ms <= 600000 && floor(var.store_timeout_ms) == var.store_timeout_ms
    error_message = "store_timeout_ms must be a whole number from 1 to 600000."
  }
}

variable "max_queue" {
  description = "IPAM_MAX_QUEUE: most calls waiting per namespace before new ones answer resource_exhausted."
  type        = number
  default     = 1024

  validation {
    condition     = var.max_queue >= 1 && var.max_queue <= 100000 && floor(var.max_queue) == var.max_queue
    error_message = "max_queue must be a whole number from 1 to 100000."
  }
}

variable "idempotency_ttl_seconds" {
  description = "IPAM_IDEMPOTENCY_TTL_SECONDS: how long the answer to a call with an Idempotency-Key is kept for its retries."
  type        = number
  default     = 86400

  validation {
    condition     = var.idempotency_ttl_seconds >= 1 && var.idempotency_ttl_seconds <= 2592000 && floor(var.idempotency_ttl_seconds) == var.idempotency_ttl_seconds
    error_message = "idempotency_ttl_seconds must be a whole number from 1 to 2592000 (30 days)."
  }
}

variable "idempotency_max_keys" {
  description = "IPAM_IDEMPOTENCY_MAX_KEYS: most Idempotency-Key answers kept per namespace; the oldest go first."
  type        = number
  default     = 10000

  validation {
    condition     = var.idempotency_max_keys >= 1 && var.idempotency_max_keys <= 1000000 && floor(var.idempotency_max_keys) == var.idempotency_max_keys
    error_message = "idempotency_max_keys must be a whole number from 1 to 1000000."
  }
}

variable "upstash_redis_rest_url" {
  description = "store = \"redis\": secret UPSTASH_REDIS_REST_URL, the database's REST URL (https://...; http:// only for a self-hosted bridge)."
  type        = string
  sensitive   = true
  default     = null

  validation {
    condition     = var.upstash_redis_rest_url == null || can(regex("^https?://[^/\\s]+", var.upstash_redis_rest_url))
    error_message = "upstash_redis_rest_url must be an http(s) URL such as https://<name>.upstash.io."
  }
}

variable "upstash_redis_rest_token" {
  description = "store = \"redis\": secret UPSTASH_REDIS_REST_TOKEN, the database's REST token (not the read-only one)."
  type        = string
  sensitive   = true
  default     = null
}

variable "database_url" {
  description = "store = \"postgres\": secret DATABASE_URL, postgres://user:password@host/db?sslmode=require (Neon: the pooled connection string)."
  type        = string
  sensitive   = true
  default     = null

  validation {
    condition     = var.database_url == null || can(regex("^postgres(ql)?://", var.database_url))
    error_message = "database_url must start with postgres:// or postgresql://."
  }
}

variable "neon_ws_proxy" {
  description = "store = \"postgres\", optional: NEON_WS_PROXY, host:port/path (no scheme) of a Neon-wsproxy-compatible WebSocket proxy in front of a self-hosted Postgres."
  type        = string
  default     = null

  validation {
    condition     = var.neon_ws_proxy == null || !can(regex("^[a-z]+://", var.neon_ws_proxy))
    error_message = "neon_ws_proxy is host:port/path without a scheme, e.g. wsproxy.example.com/v1."
  }
}

variable "postgres_idle_ms" {
  description = "IPAM_PG_IDLE_MS: how long the Postgres store keeps an idle connection open, in milliseconds."
  type        = number
  default     = 5000

  validation {
    condition     = var.postgres_idle_ms >= 100 && var.postgres_idle_ms <= 600000 && floor(var.postgres_idle_ms) == var.postgres_idle_ms
    error_message = "postgres_idle_ms must be a whole number from 100 to 600000."
  }
}

variable "postgres_auto_migrate" {
  description = "store = \"postgres\": IPAM_AUTO_MIGRATE, whether the store applies migrations/ at first use (false: apply them yourself first)."
  type        = bool
  default     = true
}

variable "etcd_endpoint" {
  description = "store = \"etcd\": ETCD_ENDPOINT, the http(s) URL of etcd's v3 JSON gateway."
  type        = string
  default     = null

  validation {
    condition     = var.etcd_endpoint == null || can(regex("^https?://[^/\\s]+", var.etcd_endpoint))
    error_message = "etcd_endpoint must be an http(s) URL such as https://etcd.example.com:2379."
  }
}

variable "etcd_username" {
  description = "store = \"etcd\", optional: ETCD_USERNAME (with etcd_password, or neither)."
  type        = string
  default     = null
}

variable "etcd_password" {
  description = "store = \"etcd\", optional: secret ETCD_PASSWORD (with etcd_username, or neither)."
  type        = string
  sensitive   = true
  default     = null
}

variable "mongodb_uri" {
  description = "store = \"mongodb\": secret MONGODB_URI, mongodb:// or mongodb+srv:// connection string."
  type        = string
  sensitive   = true
  default     = null

  validation {
    condition     = var.mongodb_uri == null || can(regex("^mongodb(\\+srv)?://", var.mongodb_uri))
    error_message = "mongodb_uri must start with mongodb:// or mongodb+srv://."
  }
}

variable "mongodb_database" {
  description = "store = \"mongodb\": MONGODB_DATABASE, the database the collections live in."
  type        = string
  default     = "ipam"
}

# --- Endpoint ------------------------------------------------------------------------------------------

variable "workers_dev" {
  description = "Serve the Worker on <script_name>.<workers_dev_subdomain>.workers.dev."
  type        = bool
  default     = true
}

variable "workers_dev_subdomain" {
  description = "The account's workers.dev subdomain (the <name> of <name>.workers.dev), only to print the endpoint."
  type        = string
  default     = null
}

variable "custom_domain" {
  description = "Serve the Worker on a hostname of a zone in the account, e.g. { zone_id = \"...\", hostname = \"ipam.example.com\" }; Cloudflare creates the DNS record and certificate."
  type = object({
    zone_id  = string
    hostname = string
  })
  default = null
}

variable "routes" {
  description = "Extra route patterns on zones in the account, e.g. [{ zone_id = \"...\", pattern = \"example.com/api.v1.IpamService/*\" }]."
  type = list(object({
    zone_id = string
    pattern = string
  }))
  default = []
}
