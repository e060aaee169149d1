"""mmconta checks the OpenMMLab stack it is imported on, with a hint."""
import pytest

from mmconta import version


def test_installed_stack_is_in_range():
    version.check_dependencies()


def test_out_of_range_names_package_and_both_stacks(monkeypatch):
    monkeypatch.setitem(version.REQUIRED, 'mmseg', ('0.1.0', '0.2.0'))
    with pytest.raises(ImportError) as error:
        version.check_dependencies()
    message = str(error.value)
    assert '0.1.0 <= mmseg < 0.2.0' in message
    assert 'MMCONTA_STACK=openmmlab' in message and '.[onedl]' in message


def test_missing_package_is_named(monkeypatch):
    monkeypatch.setitem(version.REQUIRED, 'mm_not_installed', ('1.0', '2.0'))
    with pytest.raises(ImportError, match='mmconta needs mm_not_installed'):
        version.check_dependencies()
