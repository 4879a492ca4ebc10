from rest_framework.routers import SimpleRouter

from places.api.views import AssignmentViewSet, DivisionViewSet, LakeViewSet, ReachViewSet, RiverViewSet

app_name = "places"
router = SimpleRouter()
router.register("divisions", DivisionViewSet, basename="division")
router.register("rivers", RiverViewSet, basename="river")
router.register("reaches", ReachViewSet, basename="reach")
router.register("lakes", LakeViewSet, basename="lake")
router.register("assignments", AssignmentViewSet, basename="assignment")
urlpatterns = router.urls
