from .multi_view_data_preprocessor import (MultiViewDataPreprocessor,
                                           SoCoDataPreprocessor)

__all__ = ['MultiViewDataPreprocessor', 'SoCoDataPreprocessor']
