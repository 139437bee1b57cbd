"""Zhunsheng (准绳): rules for Chinese administrative-law compliance."""
__version__ = "0.1.0"
