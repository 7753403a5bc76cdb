"""Watch and steer a real Keras `model.fit` from the terminal (importing this loads no TensorFlow)."""
