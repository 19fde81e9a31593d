"""Crossroads content: YAML data and the article text, loaded by dialogs.content_loader."""
