pytest_plugins = ["microbrain_kit.testing"]
