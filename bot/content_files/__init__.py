"""The content from its files: the YAML catalogues and the quiz (:mod:`.loader`), the trained
weights (:mod:`.nlu_weights`), and the validated result kept between starts (:mod:`.cache`).
The core (:mod:`dialogs`) receives the finished :class:`dialogs.content.Content` and reads no file."""
