"""The training engine: data, theory, the compiled TensorFlow loop, history.

Nothing here imports Textual; TensorFlow is imported only by `trainer`, which
callers load after `lrtui.engine.startup` has imported TensorFlow quietly.
"""
