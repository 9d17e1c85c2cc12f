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

variable "upstash_redis_rest_url" {
  description = "The Upstash database's REST URL (console: the database's REST API section)."
  type        = string
  sensitive   = true
}

variable "upstash_redis_rest_token" {
  description = "The Upstash database's REST token (not the read-only one)."
  type        = string
  sensitive   = true
}

variable "zone_id" {
  description = "ID of the zone the hostname belongs to (dashboard: the zone's Overview, API section)."
  type        = string
}

variable "hostname" {
  description = "Hostname to serve on, e.g. ipam.example.com; Cloudflare creates its DNS record and certificate."
  type        = string
}
