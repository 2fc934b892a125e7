from tal_pyg.utils.io import atomic_open, atomic_torch_save, atomic_write_json, atomic_write_text

__all__ = ["atomic_open", "atomic_write_text", "atomic_write_json", "atomic_torch_save"]
