# What wrangler.toml says about the Worker, for the Terraform deploy. test/deploy/ fails when these and
# wrangler.toml disagree, so change both together.
locals {
  compatibility_date  = "2026-08-01"
  compatibility_flags = ["nodejs_compat"]

  durable_object_bindings = [
    { name = "NAMESPACE", class_name = "NamespaceObject" },
    { name = "DIRECTORY", class_name = "DirectoryObject" },
  ]

  # Every migration wrangler.toml lists, oldest first. Only ever append: an applied migration is part of the
  # Durable Objects' history, and a class is only deleted by a deleted_classes step, which is never added
  # here (docs/deploy.md, "Upgrading").
  durable_object_migrations = [
    { tag = "v1", new_sqlite_classes = ["NamespaceObject", "DirectoryObject"] },
  ]
}
