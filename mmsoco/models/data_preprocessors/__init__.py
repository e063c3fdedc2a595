from .soco_data_preprocessor import SoCoDataPreprocessor

__all__ = ['SoCoDataPreprocessor']
