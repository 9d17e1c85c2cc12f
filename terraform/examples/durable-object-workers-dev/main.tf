# edge-ipam on Durable Object storage (the default backend), served on workers.dev.
# Copy this folder, fill in terraform.tfvars (from terraform.tfvars.example), then:
#   npm run build   (in the edge-ipam checkout)
#   export CLOUDFLARE_API_TOKEN=...   &&   terraform init && terraform apply
terraform {
  required_version = ">= 1.5"
  required_providers {
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 5.14"
    }
  }
}

# Reads the API token from CLOUDFLARE_API_TOKEN, so it is in no file and no state.
provider "cloudflare" {}

module "ipam" {
  # The module in the edge-ipam checkout; from a copy elsewhere, the path to <checkout>/terraform.
  source = "../.."

  account_id  = var.account_id
  script_name = var.script_name
  bundle_path = var.bundle_path
  ipam_tokens = var.ipam_tokens

  workers_dev           = true
  workers_dev_subdomain = var.workers_dev_subdomain
}
