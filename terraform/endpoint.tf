# Where the Worker answers: workers.dev, a custom domain, extra routes.
resource "cloudflare_workers_script_subdomain" "this" {
  account_id       = var.account_id
  script_name      = cloudflare_workers_script.this.script_name
  enabled          = var.workers_dev
  previews_enabled = false
}

resource "cloudflare_workers_custom_domain" "this" {
  count = var.custom_domain == null ? 0 : 1

  account_id = var.account_id
  zone_id    = var.custom_domain.zone_id
  hostname   = var.custom_domain.hostname
  service    = cloudflare_workers_script.this.script_name
}

resource "cloudflare_workers_route" "this" {
  for_each = { for r in var.routes : r.pattern => r }

  zone_id = each.value.zone_id
  pattern = each.value.pattern
  script  = cloudflare_workers_script.this.script_name
}

locals {
  workers_dev_url = var.workers_dev && var.workers_dev_subdomain != null ? "https://${var.script_name}.${var.workers_dev_subdomain}.workers.dev" : null
  endpoint        = var.custom_domain != null ? "https://${var.custom_domain.hostname}" : local.workers_dev_url
}
