"""Understanding typed messages: features, the trained linear model, labels and the decision policy.

Training (``python -m bot train``, scikit-learn) and inference share :mod:`dialogs.nlu.features`,
so that the bot sees a message exactly as the model was trained to; the bot itself only reads
the trained weights (``content/nlu/<language>.json``) and adds up a few of them per message.
"""
