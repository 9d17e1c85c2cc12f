variable "account_id" {
  description = "Cloudflare account ID."
  type        = string
}

variable "script_name" {
  description = "Name of the Worker; never change it once applied."
  type        = string
  default     = "edge-ipam"
}

variable "bundle_path" {
  description = "The bundle npm run build wrote; null: dist/index.js of the checkout the module is in."
  type        = string
  default     = null
}

variable "ipam_tokens" {
  description = "API tokens: token => namespaces it may use ([\"*\"]: all, and the admin RPCs)."
  type        = map(list(string))
  sensitive   = true
}

variable "database_url" {
  description = "Neon connection string (console: Connect, the pooled one), postgres://...?sslmode=require."
  type        = string
  sensitive   = true
}

variable "postgres_auto_migrate" {
  description = "Whether the store creates its tables at first use."
  type        = bool
  default     = true
}

variable "workers_dev_subdomain" {
  description = "The account's workers.dev subdomain, to print the endpoint."
  type        = string
  default     = null
}
