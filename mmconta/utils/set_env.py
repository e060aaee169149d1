"""Environment set-up shared by the entry points."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmconta module so that its types are registered.

    Args:
        init_default_scope (bool): Make ``mmconta`` the current default scope
            so that unprefixed types resolve through mmconta's registries
            first. Defaults to True.
    """
    import mmconta.datasets  # noqa: F401
    import mmconta.engine  # noqa: F401
    import mmconta.evaluation  # noqa: F401
    import mmconta.models  # noqa: F401
    import mmconta.visualization  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('mmconta'):
        DefaultScope.get_instance('mmconta', scope_name='mmconta')
    elif current.scope_name != 'mmconta':
        warnings.warn(f'The current default scope "{current.scope_name}" is '
                      'not "mmconta"; a new default scope is created for '
                      'mmconta.')
        name = f'mmconta-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='mmconta')
