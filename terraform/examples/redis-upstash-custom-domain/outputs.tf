output "endpoint" {
  description = "Base URL of the service."
  value       = module.ipam.endpoint
}

output "script_name" {
  description = "For wrangler tail."
  value       = module.ipam.script_name
}
