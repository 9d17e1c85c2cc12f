# Nothing here is derived from a secret.
output "endpoint" {
  description = "Base URL of the service (the custom domain if set, else workers.dev when workers_dev_subdomain is given): POST <endpoint>/api.v1.IpamService/<Rpc>."
  value       = local.endpoint
}

output "workers_dev_url" {
  description = "The workers.dev URL, when workers_dev is on and workers_dev_subdomain is given."
  value       = local.workers_dev_url
}

output "script_name" {
  description = "The Worker's name, for wrangler tail <script_name> and the dashboard."
  value       = cloudflare_workers_script.this.script_name
}

output "migration_tag" {
  description = "The newest Durable Object migration tag this version applies."
  value       = local.newest_migration_tag
}

output "bundle_sha256" {
  description = "SHA-256 of the uploaded bundle; npm run build prints the same figure."
  value       = filesha256(local.bundle_path)
}
